import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVectorStore } from '../../../src/infra/vectors/store';
import { maintainTableInChild, removeScratchFolders } from '../../../src/infra/vectors/table-maintenance';

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

describe('a process that ends while a table is maintained', () => {
  let tmp: string;
  let database: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'datacreek-exit-test-'));
    database = join(tmp, 'lancedb');
    const store = await openVectorStore(database);
    // Large enough that the index build writes spill files for a while after the parent is gone.
    const rows = Array.from({ length: 20_000 }, (_, i) => ({
      id: `r${i}`,
      vector: Float32Array.from({ length: 128 }, (_, d) => Math.sin(i * 0.37 + d)),
      text: '',
    }));
    await store.upsert('big', rows);
    await store.close();
  }, 60_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** Runs the fixture process with a temp folder of its own; returns it, its output so far, and the folder. */
  function startParent(how: 'exit' | 'wait') {
    const scratchRoot = mkdtempSync(join(tmp, 'scratch-'));
    const parent = spawn(process.execPath, ['--import', 'tsx', 'tests/unit/vectors/fixtures/exit-during-maintenance.ts', database, 'big', how], {
      env: { ...process.env, TMPDIR: scratchRoot },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const output = { text: '' };
    parent.stdout.on('data', (piece) => {
      output.text += String(piece);
    });
    return { parent, output, scratchRoot, closed: new Promise<number | null>((resolve) => parent.on('close', resolve)) };
  }

  it('exiting takes the maintenance child and its scratch folder with it', async () => {
    const { output, scratchRoot, closed } = startParent('exit');
    expect(await closed).toBe(0);
    expect(output.text).toContain('started');
    // Right as the process is gone, nothing of the maintenance is left: no folder, no child still running.
    expect(scratchFolders(scratchRoot)).toEqual([]);
    expect(maintenanceChildrenIn(scratchRoot)).toEqual([]);
  }, 60_000);

  it('SIGKILLed mid-build, its orphaned child stops and removes its scratch folder', async () => {
    const { parent, scratchRoot, closed } = startParent('wait');
    // Killed once the child has its scratch folder and LanceDB has started writing into it.
    await waitUntil(() => scratchFolders(scratchRoot).some((name) => readdirSync(join(scratchRoot, name)).length > 0), 30_000);
    expect(maintenanceChildrenIn(scratchRoot)).toHaveLength(1);
    parent.kill('SIGKILL');
    await closed;
    await waitUntil(() => maintenanceChildrenIn(scratchRoot).length === 0 && scratchFolders(scratchRoot).length === 0, 15_000);
  }, 60_000);
});

describe('the sweep of scratch folders', () => {
  it('removes the folders of maintenance children no longer running, and only those', async () => {
    const root = mkdtempSync(join(tmpdir(), 'datacreek-sweep-test-'));
    // A process still running whose command line says it is a maintenance child, and a pid that has died.
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'table-maintenance-child.mjs'], { stdio: 'ignore' });
    const finished = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => finished.on('close', resolve));
    try {
      for (const name of [
        `datacreek-index-${live.pid}-aaaaaa`,
        `datacreek-index-${finished.pid}-bbbbbb`,
        `datacreek-index-${process.pid}-cccccc`,
        'datacreek-index-test-dddddd',
      ]) {
        mkdirSync(join(root, name, '.tmpspill'), { recursive: true });
        writeFileSync(join(root, name, '.tmpspill', 'shuffle.bin'), 'spill');
      }
      // This test's own pid is running but is no maintenance child: a reused pid does not protect a dead child's folder.
      expect(removeScratchFolders(root).sort()).toEqual([`datacreek-index-${finished.pid}-bbbbbb`, `datacreek-index-${process.pid}-cccccc`].sort());
      expect(readdirSync(root).sort()).toEqual([`datacreek-index-${live.pid}-aaaaaa`, 'datacreek-index-test-dddddd'].sort());
      // Narrowed to one child, the sweep leaves every other folder alone.
      live.kill('SIGKILL');
      await new Promise((resolve) => live.on('close', resolve));
      expect(removeScratchFolders(root, 1)).toEqual([]);
      expect(removeScratchFolders(root, live.pid)).toEqual([`datacreek-index-${live.pid}-aaaaaa`]);
      expect(existsSync(join(root, 'datacreek-index-test-dddddd'))).toBe(true);
    } finally {
      live.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });
});

function scratchFolders(root: string): string[] {
  return readdirSync(root).filter((name) => name.startsWith('datacreek-index-'));
}

/** Maintenance children started with `root` as their temp folder. */
function maintenanceChildrenIn(root: string): number[] {
  return processesWithEnv(`TMPDIR=${root}`).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('table-maintenance-child');
    } catch {
      return false;
    }
  });
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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
