// The chaos suite's own world: a Temporal dev server (free port, history in a SQLite file of its own), a PostgreSQL
// cluster (free port, its own data dir), the project's test LLM server, and the datacreek worker as a child process
// that a test may SIGKILL. Each server can be stopped and started again on the same data, as an outage would.
// Nothing here is shared with the integration suite or with another chaos file.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { loadConfig, PROJECT_ROOT } from '../../src/infra/config/load';
import type { DatacreekConfig } from '../../src/infra/config/schema';
import { connectDatabase, migrateDatabase, type Database } from '../../src/infra/db/client';
import { ensureLocalPostgres, reachableDataDir, stopLocalPostgres } from '../../src/infra/services/local-postgres';
import { ensureTemporalDevServer, type DevServerHandle } from '../../src/infra/services/temporal-dev-server';
import { startTestLlmServer, type TestLlmServer, type TestLlmServerOptionsPatch } from '../llm-server';
import { WorkerProcess } from './worker-process';
export { freePort } from '../../src/infra/services/free-port';
import { freePort } from '../../src/infra/services/free-port';

/**
 * Secrets the stack is configured with. Each is unmistakable (a marker plus random hex), so finding one in a log,
 * a workflow history or an error message can only mean it leaked.
 */
export type StackSecrets = {
  llmApiKey: string;
  databasePassword: string;
};

export function makeSecrets(): StackSecrets {
  return {
    llmApiKey: `sk-chaos-SECRET-${randomBytes(12).toString('hex')}`,
    databasePassword: `pg-chaos-SECRET-${randomBytes(12).toString('hex')}`,
  };
}

export interface ChaosStackOptions {
  /** Names the stack's folder and task queue. */
  name: string;
  llm?: TestLlmServerOptionsPatch;
  /** Extra worker environment (DATACREEK_*), over the defaults below. */
  workerEnv?: Record<string, string>;
  /** Extra `--dynamic-config-value` settings for the Temporal dev server. */
  temporalDynamicConfig?: Record<string, string | number | boolean>;
  /** Puts something (a gateway, a proxy) between the worker and the test LLM server; gets the server's URL. */
  frontLlm?: (llmUrl: string) => Promise<{ url: string; close(): Promise<void> }>;
  /** false: `worker` is configured but not started, for a test that runs workers of its own (default true). */
  startWorker?: boolean;
}

export interface ChaosStack {
  name: string;
  dir: string;
  secrets: StackSecrets;
  temporalAddress: string;
  databaseUrl: string;
  taskQueue: string;
  /** The worker's configuration, as the worker process resolves it from its environment. */
  workerConfig: DatacreekConfig;
  /** The environment the worker process was started with (to start another worker like it). */
  workerEnv: Record<string, string>;
  client: Client;
  db: Database;
  llm: TestLlmServer;
  worker: WorkerProcess;
  temporalRestarts: number;
  postgresRestarts: number;
  /** Stops the Temporal dev server, waits `downMs`, and starts it again on the same database file. */
  restartTemporal(downMs: number): Promise<void>;
  /** `pg_ctl stop -m fast`, waits `downMs`, and starts the same cluster again on the same port. */
  restartPostgres(downMs: number): Promise<void>;
  close(): Promise<void>;
}

/** The environment a production worker would be given, pointing at this stack's servers. */
function workerEnvironment(opts: {
  temporalAddress: string;
  databaseUrl: string;
  llmUrl: string;
  secrets: StackSecrets;
  taskQueue: string;
  dataDir: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: opts.temporalAddress,
    DATABASE_URL: opts.databaseUrl,
    OPENAI_BASE_URL: opts.llmUrl,
    OPENAI_API_KEY: opts.secrets.llmApiKey,
    DATACREEK_TEMPORAL_TASK_QUEUE: opts.taskQueue,
    DATACREEK_TEMPORAL_START_DEV_SERVER: 'false',
    DATACREEK_PATHS_DATA_DIR: opts.dataDir,
    DATACREEK_LLM_MODEL: 'datacreek-test-llm',
    DATACREEK_LLM_CONCURRENCY: '8',
    DATACREEK_LLM_TIMEOUT_MS: '10000',
    DATACREEK_LLM_RETRIES: '4',
    DATACREEK_EMBEDDING_PROVIDER: 'lexical',
    // The semantic threshold is left to the embedder's default: 0.9 for lexical vectors (at MiniLM's 0.85 they call
    // most of the test server's templated records duplicates, and builds ran out of rounds short of their targets).
    DATACREEK_DATABASE_POOL_SIZE: '10',
    // A SIGKILLed worker's activities are noticed (and retried elsewhere) within this.
    DATACREEK_WORKER_HEARTBEAT_TIMEOUT_MS: '10000',
    DATACREEK_WORKER_SHUTDOWN_GRACE_MS: '2000',
    DATACREEK_LOG_LEVEL: 'info',
    ...opts.extra,
  };
}

const CHAOS_ROOT = path.join(PROJECT_ROOT, '.data', 'chaos');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops what an aborted earlier run left running (its test process is gone): the worker and Temporal dev server
 * whose pids it recorded, if they still are those programs, and its PostgreSQL cluster; then removes its folder.
 */
function reapAbandonedStacks(): void {
  if (!existsSync(CHAOS_ROOT)) return;
  for (const name of readdirSync(CHAOS_ROOT)) {
    const owner = Number(/-(\d+)$/.exec(name)?.[1]);
    if (!owner || isAlive(owner)) continue;
    const dir = path.join(CHAOS_ROOT, name);
    for (const [file, program] of [
      ['worker.pid', 'datacreek.js'],
      ['temporal.pid', 'temporal'],
    ] as const) {
      const pid = existsSync(path.join(dir, file)) ? Number(readFileSync(path.join(dir, file), 'utf8')) : 0;
      const cmdline = pid && isAlive(pid) && existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
      if (cmdline.includes(program)) process.kill(pid, 'SIGKILL');
    }
    if (existsSync(path.join(dir, 'postgres', 'postmaster.pid'))) stopLocalPostgres(path.join(dir, 'postgres'), 'immediate');
    removeStackFolders(dir);
  }
}

/**
 * Removes a stack's folder and its PostgreSQL cluster, which lives in the system temp folder instead when the
 * postgres user cannot reach the checkout (see reachableDataDir).
 */
function removeStackFolders(dir: string): void {
  const cluster = reachableDataDir(path.resolve(dir, 'postgres'));
  if (existsSync(path.join(cluster, 'postmaster.pid'))) stopLocalPostgres(cluster, 'immediate');
  rmSync(cluster, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

export async function startChaosStack(options: ChaosStackOptions): Promise<ChaosStack> {
  reapAbandonedStacks();
  const dir = path.join(CHAOS_ROOT, `${options.name}-${process.pid}`);
  removeStackFolders(dir);
  mkdirSync(dir, { recursive: true });
  const secrets = makeSecrets();
  const recordTemporalPid = (handle: DevServerHandle) => {
    if (handle.process?.pid) writeFileSync(path.join(dir, 'temporal.pid'), String(handle.process.pid));
  };
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => {});
  };

  try {
    // The three servers start side by side (each takes seconds on a busy machine).
    const pgDir = path.join(dir, 'postgres');
    const pgPort = await freePort();
    const temporalAddress = `127.0.0.1:${await freePort()}`;
    const devServerOptions = {
      dbFile: path.join(dir, 'temporal.db'),
      address: temporalAddress,
      uiPort: await freePort(),
      logFile: path.join(dir, 'temporal.log'),
      dynamicConfig: options.temporalDynamicConfig,
    };
    cleanups.push(() => stopLocalPostgres(pgDir, 'immediate'));
    // allSettled, so a server that comes up after another failed is still registered for cleanup before we throw.
    const started = await Promise.allSettled([
      // PostgreSQL: a cluster of this stack's own, with a password (a secret that must never be logged).
      (async () => {
        await ensureLocalPostgres({ dataDir: pgDir, port: pgPort, database: 'datacreek' });
        const admin = postgres(`postgres://postgres@127.0.0.1:${pgPort}/postgres`, { max: 1, onnotice: () => {} });
        await admin.unsafe(`alter user postgres with password '${secrets.databasePassword}'`);
        await admin.end({ timeout: 2 });
        const url = `postgres://postgres:${secrets.databasePassword}@127.0.0.1:${pgPort}/datacreek`;
        await migrateDatabase(url);
        return url;
      })(),
      // Temporal dev server, persisted to a file so a restart resumes every workflow.
      ensureTemporalDevServer(devServerOptions).then((handle) => {
        cleanups.push(() => handle.stop());
        recordTemporalPid(handle);
        return handle;
      }),
      startTestLlmServer({ seed: 7, ...options.llm }).then((server) => {
        cleanups.push(() => server.close());
        return server;
      }),
    ] as const);
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    const [databaseUrl, firstTemporal, llm] = started.map((o) => (o as PromiseFulfilledResult<unknown>).value) as [string, DevServerHandle, TestLlmServer];
    let temporal: DevServerHandle = firstTemporal;
    let llmUrl = llm.url;
    if (options.frontLlm) {
      const front = await options.frontLlm(llm.url);
      cleanups.push(() => front.close());
      llmUrl = front.url;
    }

    const taskQueue = `chaos-${options.name}`;
    const dataDir = path.join(dir, 'data');
    const env = workerEnvironment({ temporalAddress, databaseUrl, llmUrl, secrets, taskQueue, dataDir, extra: options.workerEnv });
    const workerConfig = loadConfig({ env });
    const worker = new WorkerProcess({ env, logFile: path.join(dir, 'worker.log'), pidFile: path.join(dir, 'worker.pid') });
    cleanups.push(() => worker.stop(5_000));

    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: workerConfig.temporal.namespace });
    const db = connectDatabase(databaseUrl, { poolSize: 3 });
    cleanups.push(() => db.close());

    if (options.startWorker !== false) await worker.start();

    const stack: ChaosStack = {
      name: options.name,
      dir,
      secrets,
      temporalAddress,
      databaseUrl,
      taskQueue,
      workerConfig,
      workerEnv: env,
      client,
      db,
      llm,
      worker,
      temporalRestarts: 0,
      postgresRestarts: 0,
      async restartTemporal(downMs) {
        await temporal.stop();
        await sleep(downMs);
        temporal = await ensureTemporalDevServer(devServerOptions);
        cleanups.push(() => temporal.stop());
        recordTemporalPid(temporal);
        stack.temporalRestarts++;
      },
      async restartPostgres(downMs) {
        stopLocalPostgres(pgDir, 'fast');
        await sleep(downMs);
        await ensureLocalPostgres({ dataDir: pgDir, port: pgPort, database: 'datacreek' });
        stack.postgresRestarts++;
      },
      async close() {
        await cleanup();
        if (!process.env.KEEP_CHAOS_DATA) removeStackFolders(dir);
      },
    };
    return stack;
  } catch (err) {
    await cleanup();
    if (!process.env.KEEP_CHAOS_DATA) removeStackFolders(dir);
    throw err;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value (not undefined), or fails naming `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      // A server in the middle of a restart: keep polling until the deadline.
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await sleep(intervalMs);
  }
}
