// A vector table's maintenance (the id B-tree and IVF index once it is large enough, the index trained again as the
// table grows, compaction and index catch-up)
// runs in a child process with a scratch folder of its own as TMPDIR:
// - LanceDB's index build spills its shuffle files (the size of the table's vectors: about 150 MB at 100k × 384)
//   into a temporary folder and never removes them; in a long-running worker that is a disk leak per indexed table.
// - Compacting and re-indexing a large table reads it whole: in the worker that left about 1 GB of native memory
//   behind at 100k rows. In the child it is returned to the system when the child exits, and the worker stays flat.
//
// The scratch folder is the child's: it makes `datacreek-index-<its pid>-XXXXXX` in the system temp folder before
// LanceDB loads. Removing it is only safe once no LanceDB thread can still write into it, so it goes
// - when the child has exited (all its threads with it): the parent removes it on 'close', or, if the parent is
//   exiting itself, after killing the child and seeing it dead;
// - when the parent died first: the child removes it on its way out, retrying until it is gone (a thread may add a
//   spill file between two attempts, but none can make the folder again once it is gone);
// - and if both were killed outright: the next maintenance on this machine sweeps folders whose child is dead.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isProcessOf } from '../services';

export interface TableMaintenanceRequest {
  uri: string;
  storageOptions?: Record<string, string>;
  table: string;
  /** The indexes are built once the table has this many rows. */
  indexAtRows: number;
  /** false: the id index only, for a table that is read by id and never searched. */
  vectorIndex: boolean;
}

export interface TableMaintenanceResult {
  rows: number;
  /** Whether the table has its vector index now. */
  indexed: boolean;
  /** The IVF partitions the index was trained with (0: no index, or one from before partitions were recorded). */
  indexPartitions: number;
}

const CHILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'table-maintenance-child.mjs');
/** The last lines of the child's stderr are enough to say why maintenance failed. */
const STDERR_KEPT = 4000;

/** A maintenance child's scratch folder: `datacreek-index-`, the child's pid, then mkdtemp's random suffix. */
const scratchPattern = /^datacreek-index-(\d+)-/;

/** Children still running: a process that exits takes them (and their folders) along. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Whether the pid is a live maintenance child: not one that exited (a zombie included), nor a process that reused its pid. */
const isMaintenanceChild = (pid: number) => isProcessOf(pid, /table-maintenance-child/);

/**
 * Removes the scratch folders in `root` that belong to maintenance children no longer running: `pid` narrows it to
 * one child (just exited), otherwise every dead child's folder goes. Another user's folders are left alone.
 */
export function removeScratchFolders(root: string = tmpdir(), pid?: number): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = Number(scratchPattern.exec(name)?.[1]);
    if (!owner || (pid !== undefined && owner !== pid) || isMaintenanceChild(owner)) continue;
    try {
      rmSync(join(root, name), { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
      removed.push(name);
    } catch {
      // Not ours to remove (permissions) or busy: the next sweep tries again.
    }
  }
  return removed;
}

/** Sleeps the thread without the event loop: an exit hook cannot wait any other way. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A worker that exits (shutdown, process.exit) while a child maintains a table would leave the child to clean up
 * after the worker is gone: kill it, wait until it is dead (no thread of it can write any more; bounded), and
 * remove its folder before the worker's exit completes.
 */
function stopChildrenOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) {
      if (!child.pid) continue;
      child.kill('SIGKILL');
      for (let waited = 0; waited < 2000 && isMaintenanceChild(child.pid); waited += 5) sleepSync(5);
      removeScratchFolders(tmpdir(), child.pid);
    }
  });
}

export function maintainTableInChild(request: TableMaintenanceRequest): Promise<TableMaintenanceResult> {
  stopChildrenOnExit();
  // Folders left by children killed together with their parent (a machine's OOM killer, kill -9 of a process group).
  removeScratchFolders();
  return new Promise<TableMaintenanceResult>((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (piece: string) => {
      stdout += piece;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (piece: string) => {
      stderr = (stderr + piece).slice(-STDERR_KEPT);
    });
    child.on('error', (error) => {
      running.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      // The child has exited with all its threads: nothing can write into its folder any more.
      if (child.pid) removeScratchFolders(tmpdir(), child.pid);
      const result = code === 0 ? parseResult(stdout) : null;
      if (result) resolve(result);
      else {
        const why = stderr
          .trim()
          .split('\n')
          .filter((line) => !/\bWARN\b/.test(line))
          .slice(-3)
          .join(' | ');
        reject(new Error(`Maintaining LanceDB table "${request.table}" (indexes, compaction) failed (${signal ?? `exit ${code}`}): ${why || 'no message'}`));
      }
    });
    // Stdin stays open until the child is done: the child takes its closing as the parent's death.
    child.stdin.write(`${JSON.stringify(request)}\n`);
  });
}

/** The child's last stdout line: {"rows": n, "indexed": bool, "indexPartitions": n}. */
function parseResult(stdout: string): TableMaintenanceResult | null {
  const last = stdout.trim().split('\n').pop();
  try {
    const parsed = JSON.parse(last ?? '') as Partial<TableMaintenanceResult>;
    return typeof parsed.rows === 'number' && typeof parsed.indexed === 'boolean' && typeof parsed.indexPartitions === 'number'
      ? { rows: parsed.rows, indexed: parsed.indexed, indexPartitions: parsed.indexPartitions }
      : null;
  } catch {
    return null;
  }
}
