// The embedded default database: a real PostgreSQL cluster under the data dir, started from the server
// binaries installed on the machine (Debian's postgresql package). Chosen over an in-process WASM build so the
// default runs exactly the database that production and the tests run, through the same driver.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { localPostgresUrl } from '../db';

export interface LocalPostgres {
  url: string;
  dataDir: string;
  port: number;
  /** True when this call started the server (so the caller should stop it). */
  startedHere: boolean;
  stop(): void;
}

/** Finds initdb / pg_ctl: $PG_BIN, then pg_config, then the newest /usr/lib/postgresql/<v>/bin. */
export function findPostgresBin(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv && existsSync(path.join(fromEnv, 'pg_ctl'))) return fromEnv;
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0 && existsSync(path.join(pgConfig.stdout.trim(), 'pg_ctl'))) return pgConfig.stdout.trim();
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return path.join(root, versions[0], 'bin');
  }
  throw new Error(
    'PostgreSQL server binaries not found. Install them (Debian: `apt-get install -y postgresql`), set PG_BIN to the ' +
      'folder holding pg_ctl, or point DATABASE_URL at a running server.',
  );
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** initdb refuses to run as root: run the server tools as the `postgres` user then. */
function runPg(bin: string, tool: string, args: string[], opts: { allowFail?: boolean } = {}): { status: number; output: string } {
  const exe = path.join(bin, tool);
  const [cmd, cmdArgs] = isRoot() ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
  // As the postgres user, run from "/": the server tools change back to the caller's working directory, which a
  // checkout in a private (0700) folder does not let the postgres user enter.
  const res = spawnSync(cmd, cmdArgs, { encoding: 'utf8', cwd: isRoot() ? '/' : undefined });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (res.status !== 0 && !opts.allowFail) throw new Error(`${tool} ${args.join(' ')} failed:\n${output}`);
  return { status: res.status ?? 1, output };
}

async function waitForConnection(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
  throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms: ${String(lastError)}`);
}

/**
 * Ensures a cluster exists in `dataDir` and is running on `port`, with a database named `database`.
 * Idempotent: starting it again resumes the same data.
 */
/**
 * As root the server runs as `postgres`, which must be able to reach the data dir. A checkout inside a private
 * directory (e.g. one made by `mktemp -d`, mode 0700) is not reachable: then the cluster lives in a folder of the
 * system temp dir named after the wanted path, so the same checkout always finds the same cluster again.
 */
const warned = new Set<string>();
export function reachableDataDir(wanted: string): string {
  if (!isRoot()) return wanted;
  let dir = path.dirname(wanted);
  while (!existsSync(dir)) dir = path.dirname(dir);
  const probe = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dir]);
  if (probe.status === 0) return wanted;
  const hash = createHash('sha256').update(wanted).digest('hex').slice(0, 16);
  const fallback = path.join(os.tmpdir(), `datacreek-postgres-${hash}`);
  if (!warned.has(wanted)) console.warn(`[postgres] ${dir} is not reachable by the postgres user; keeping the cluster for ${wanted} in ${fallback}`);
  warned.add(wanted);
  return fallback;
}

export async function ensureLocalPostgres(opts: { dataDir: string; port: number; database?: string }): Promise<LocalPostgres> {
  const bin = findPostgresBin();
  const dataDir = reachableDataDir(path.resolve(opts.dataDir));
  const database = opts.database ?? 'datacreek';
  const url = localPostgresUrl(opts.port, database);
  const adminUrl = localPostgresUrl(opts.port, 'postgres');

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true });
    if (isRoot()) execFileSync('chown', ['-R', 'postgres:postgres', dataDir]);
    runPg(bin, 'initdb', ['-D', dataDir, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C']);
    // Tuned for a small dev machine: durability stays on (fsync, synchronous commit). Checkpoints are spread out
    // and full-page images compressed, because a build's acceptance rewrites every accepted row once and, at the
    // default 1 GB of WAL between checkpoints, a large build spent its write time on full-page images.
    writeFileSync(
      path.join(dataDir, 'postgresql.auto.conf'),
      [
        'max_connections = 200',
        'shared_buffers = 256MB',
        'synchronous_commit = on',
        'max_wal_size = 4GB',
        'checkpoint_timeout = 15min',
        'wal_compression = on',
        '',
      ].join('\n'),
    );
    if (isRoot()) execFileSync('chown', ['-R', 'postgres:postgres', dataDir]);
  }

  const status = runPg(bin, 'pg_ctl', ['-D', dataDir, 'status'], { allowFail: true });
  let startedHere = false;
  if (status.status !== 0) {
    runPg(bin, 'pg_ctl', [
      '-D',
      dataDir,
      '-l',
      path.join(dataDir, 'server.log'),
      '-o',
      // TCP only: every client connects to 127.0.0.1, and no socket file needs a folder the postgres user may write.
      `-p ${opts.port} -c unix_socket_directories='' -c listen_addresses=127.0.0.1`,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    startedHere = true;
  }
  await waitForConnection(adminUrl, 30_000);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await admin`select 1 from pg_database where datname = ${database}`;
    if (rows.length === 0) await admin.unsafe(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end({ timeout: 2 });
  }
  return {
    url,
    dataDir,
    port: opts.port,
    startedHere,
    stop: () => stopLocalPostgres(dataDir),
  };
}

export function stopLocalPostgres(dataDir: string, mode: 'fast' | 'immediate' = 'fast'): void {
  const bin = findPostgresBin();
  runPg(bin, 'pg_ctl', ['-D', reachableDataDir(path.resolve(dataDir)), '-m', mode, '-w', 'stop'], { allowFail: true });
}
