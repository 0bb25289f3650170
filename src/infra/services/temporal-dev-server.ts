// The local Temporal server: the official CLI's `server start-dev`, persisted to a SQLite file under the data
// dir so a restart resumes every workflow, with datacreek's search attributes registered.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '../config';

/** Typed search attributes that make a dataset's runs findable in the Web UI and with `temporal workflow list`. */
export const SEARCH_ATTRIBUTES = { DatasetId: 'Keyword', Owner: 'Keyword', Stage: 'Keyword', Accepted: 'Int' } as const;

/** $TEMPORAL_CLI_PATH, then the project's .tools/bin/temporal (installed by scripts/install-temporal.sh), then PATH. */
export function findTemporalCli(toolsDir = path.join(PROJECT_ROOT, '.tools')): string {
  const candidates = [process.env.TEMPORAL_CLI_PATH, path.join(toolsDir, 'bin', 'temporal')].filter(Boolean) as string[];
  for (const c of candidates) if (existsSync(c)) return path.resolve(c);
  const which = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  throw new Error('Temporal CLI not found. Run `npm run setup` (installs it into .tools/bin) or set TEMPORAL_CLI_PATH.');
}

export function parseAddress(address: string): { host: string; port: number } {
  const cut = address.lastIndexOf(':');
  return { host: address.slice(0, cut) || '127.0.0.1', port: Number(address.slice(cut + 1)) };
}

export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface DevServerOptions {
  cliPath?: string;
  dbFile: string;
  address: string;
  uiPort: number;
  namespace?: string;
  /** Extra `--dynamic-config-value` settings, e.g. { 'limit.historyCount.suggestContinueAsNew': 40 }. */
  dynamicConfig?: Record<string, string | number | boolean>;
  logFile?: string;
}

export interface DevServerHandle {
  address: string;
  startedHere: boolean;
  process?: ChildProcess;
  stop(): Promise<void>;
}

/** Waits until the frontend answers a real gRPC call, not merely until the port is open. */
async function waitUntilServing(address: string, namespace: string, timeoutMs: number): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`Temporal at ${address} did not become ready within ${timeoutMs} ms: ${String(lastError)}`);
}

/** Starts `temporal server start-dev` unless a server already listens at the address. */
export async function ensureTemporalDevServer(opts: DevServerOptions): Promise<DevServerHandle> {
  const { host, port } = parseAddress(opts.address);
  const namespace = opts.namespace ?? 'default';
  if (await isPortOpen(host, port)) {
    await waitUntilServing(opts.address, namespace, 30_000);
    return { address: opts.address, startedHere: false, stop: async () => {} };
  }
  const cli = opts.cliPath ?? findTemporalCli();
  mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    opts.dbFile,
    '--ip',
    host,
    '--port',
    String(port),
    '--ui-port',
    String(opts.uiPort),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
  ];
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  const logFd = openSync(opts.logFile ?? `${opts.dbFile}.log`, 'a');
  const child = spawn(cli, args, { stdio: ['ignore', logFd, logFd], detached: false });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    await waitUntilServing(opts.address, namespace, 60_000);
  } catch (err) {
    if (!exited) child.kill('SIGTERM');
    throw new Error(`${(err as Error).message}\nSee the server log: ${opts.logFile ?? `${opts.dbFile}.log`}`);
  }
  return {
    address: opts.address,
    startedHere: true,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
