import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVectorStore } from '../../../src/infra/vectors/store';
import { maintainTableInChild } from '../../../src/infra/vectors/table-maintenance';

describe('vector table maintenance in a child process', () => {
  let processTmp: string;
  const outerTmp = process.env.TMPDIR;
  beforeAll(() => {
    processTmp = mkdtempSync(join(tmpdir(), 'datacreek-index-test-'));
    process.env.TMPDIR = processTmp;
  });
  afterAll(() => {
    rmSync(processTmp, { recursive: true, force: true });
    if (outerTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outerTmp;
  });

  it('fails with a message naming the table, and leaves no scratch folder', async () => {
    const database = join(processTmp, 'lancedb');
    await expect(maintainTableInChild({ uri: database, table: 'no_such_table', indexAtRows: 4, vectorIndex: true })).rejects.toThrow(
      /Maintaining LanceDB table "no_such_table" \(indexes, compaction\) failed \(exit 1\): .*no_such_table/,
    );
    expect(readdirSync(processTmp).filter((name) => name.startsWith('datacreek-index-'))).toEqual([]);
  });
});

describe('a process that exits while a table is maintained', () => {
  it('takes the maintenance child and its scratch folder with it', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'datacreek-exit-test-'));
    try {
      const database = join(tmp, 'lancedb');
      const store = await openVectorStore(database);
      const rows = Array.from({ length: 3000 }, (_, i) => ({
        id: `r${i}`,
        vector: Float32Array.from({ length: 64 }, (_, d) => Math.sin(i * 0.37 + d)),
        text: '',
      }));
      await store.upsert('big', rows);
      await store.close();
      const scratchRoot = join(tmp, 'scratch');
      mkdirSync(scratchRoot);
      const child = spawn(process.execPath, ['--import', 'tsx', 'tests/unit/vectors/fixtures/exit-during-maintenance.ts', database, 'big'], {
        env: { ...process.env, TMPDIR: scratchRoot },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (piece) => {
        out += String(piece);
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(out).toContain('started');
      expect(code).toBe(0);
      // Right as the process is gone, nothing of the maintenance is left: no folder, no child still running.
      expect(readdirSync(scratchRoot).filter((name) => name.startsWith('datacreek-index-'))).toEqual([]);
      expect(processesWithEnv(`TMPDIR=${scratchRoot}/datacreek-index-`)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Pids of the live processes whose environment holds `entry` (from /proc; other users' processes are skipped). */
function processesWithEnv(entry: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1')
          .split('\0')
          .some((variable) => variable.startsWith(entry));
      } catch {
        return false;
      }
    })
    .map(Number);
}
