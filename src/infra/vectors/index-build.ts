// The IVF vector index is built in a child process with a scratch folder of its own as TMPDIR. LanceDB's index
// build spills its shuffle files (the size of the table's vectors: about 150 MB at 100k × 384) into a temporary
// folder and never removes it; in a long-running worker that is a disk leak per indexed table. The child's scratch
// folder is removed when the build ends, or when the child sees its parent die. The child also keeps the build's
// k-means memory out of the worker.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface IndexBuildRequest {
  uri: string;
  storageOptions?: Record<string, string>;
  table: string;
  numPartitions: number;
}

const CHILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'index-build-child.mjs');
/** The last lines of the child's stderr are enough to say why a build failed. */
const STDERR_KEPT = 4000;

export function buildVectorIndexInChild(request: IndexBuildRequest): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'datacreek-index-'));
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD_SCRIPT], {
      env: { ...process.env, TMPDIR: scratch },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (piece: string) => {
      stderr = (stderr + piece).slice(-STDERR_KEPT);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else {
        const why = stderr
          .trim()
          .split('\n')
          .filter((line) => !/\bWARN\b/.test(line))
          .slice(-3)
          .join(' | ');
        reject(new Error(`Building the vector index of LanceDB table "${request.table}" failed (${signal ?? `exit ${code}`}): ${why || 'no message'}`));
      }
    });
    // Stdin stays open until the build ends: the child takes its closing as the parent's death.
    child.stdin.write(`${JSON.stringify(request)}\n`);
  }).finally(() => rmSync(scratch, { recursive: true, force: true }));
}
