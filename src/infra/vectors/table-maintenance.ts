// A vector table's maintenance (the id B-tree and IVF index once it is large enough, the index trained again as the
// table grows, compaction and index catch-up)
// runs in a child process with a scratch folder of its own as TMPDIR:
// - LanceDB's index build spills its shuffle files (the size of the table's vectors: about 150 MB at 100k × 384)
//   into a temporary folder and never removes them; in a long-running worker that is a disk leak per indexed table.
//   The child's scratch folder is removed when it ends, or when the child sees its parent die.
// - Compacting and re-indexing a large table reads it whole: in the worker that left about 1 GB of native memory
//   behind at 100k rows. In the child it is returned to the system when the child exits, and the worker stays flat.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Children still running, with their scratch folders: a process that exits takes them (and their folders) along. */
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;

/** Removes a scratch folder; retried because LanceDB's threads in a child that is going away may still add files. */
function removeScratch(scratch: string): void {
  rmSync(scratch, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
}

/**
 * A worker that exits (shutdown, process.exit) while a child maintains a table would leave the child to notice on its
 * own and clean up after the worker is gone: stop it and remove its folder before the worker's exit completes.
 */
function stopChildrenOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, scratch] of running) {
      child.kill('SIGKILL');
      try {
        removeScratch(scratch);
      } catch {
        // Nothing more can be done in an exiting process; the child also removes its folder when it can.
      }
    }
  });
}

export function maintainTableInChild(request: TableMaintenanceRequest): Promise<TableMaintenanceResult> {
  stopChildrenOnExit();
  const scratch = mkdtempSync(join(tmpdir(), 'datacreek-index-'));
  return new Promise<TableMaintenanceResult>((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD_SCRIPT], {
      env: { ...process.env, TMPDIR: scratch },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.set(child, scratch);
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
  }).finally(() => removeScratch(scratch));
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
