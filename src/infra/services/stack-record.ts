// What `datacreek dev` started, written under the data folder (`dev-stack.json`), so that the servers it
// started are never orphaned: a later `datacreek dev` on the same folder adopts servers a crashed one left
// running (and stops them on Ctrl-C), and `datacreek dev --stop` stops them from another terminal. Servers
// datacreek did not start (a Temporal or PostgreSQL someone else runs) are never recorded, so never stopped.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stopLocalPostgres } from './local-postgres';

export interface StackRecord {
  /** The `datacreek dev` process that owns the servers below. */
  ownerPid: number;
  startedAt: string;
  temporal?: { pid: number; address: string; uiPort: number };
  postgres?: { dataDir: string; port: number };
  api?: { port: number };
}

export function stackRecordPath(dataDir: string): string {
  return path.join(dataDir, 'dev-stack.json');
}

export function readStackRecord(dataDir: string): StackRecord | null {
  const file = stackRecordPath(dataDir);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackRecord;
  } catch {
    // A record cut short by a crash mid-write says nothing reliable; the servers are found by their ports.
    return null;
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a record. */
export function writeStackRecord(dataDir: string, record: StackRecord): void {
  const file = stackRecordPath(dataDir);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function removeStackRecord(dataDir: string): void {
  rmSync(stackRecordPath(dataDir), { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a process (Linux /proc); empty where it cannot be read. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Whether `pid` is still the process that was recorded, not another one that got its number since. A zombie (exited,
 * not yet reaped) has an empty command line on Linux, so it counts as gone: none of its threads runs any more.
 */
export function isProcessOf(pid: number, marker: RegExp): boolean {
  if (!isAlive(pid)) return false;
  const cmdline = commandLine(pid);
  return cmdline === '' ? process.platform !== 'linux' : marker.test(cmdline);
}

export const isTemporalDevServer = (pid: number) => isProcessOf(pid, /temporal.*server.*start-dev/);
export const isDatacreekDev = (pid: number) => isProcessOf(pid, /datacreek|node|tsx/);

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

/**
 * Stops what a record says its owner started and removes the record: the owner itself when it still runs
 * (it stops its servers on SIGTERM), else each recorded server that is still running. Returns one line per
 * thing stopped.
 */
export async function stopRecordedStack(dataDir: string, record: StackRecord): Promise<string[]> {
  const stopped: string[] = [];
  if (record.ownerPid !== process.pid && isDatacreekDev(record.ownerPid)) {
    await stopProcess(record.ownerPid, 60_000);
    stopped.push(`datacreek dev (pid ${record.ownerPid}) and the servers it ran`);
  }
  if (record.temporal && isTemporalDevServer(record.temporal.pid)) {
    await stopProcess(record.temporal.pid);
    stopped.push(`Temporal dev server (pid ${record.temporal.pid}, ${record.temporal.address})`);
  }
  if (record.postgres && existsSync(path.join(record.postgres.dataDir, 'postmaster.pid'))) {
    stopLocalPostgres(record.postgres.dataDir);
    stopped.push(`PostgreSQL (port ${record.postgres.port}, data in ${record.postgres.dataDir})`);
  }
  removeStackRecord(dataDir);
  return stopped;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
