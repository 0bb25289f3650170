import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { setJsHeapGrowingPercent } from '../../../src/worker/heap-growth';

const run = promisify(execFile);

/** Each run in a fresh process: the flag is process-wide and cannot be taken back. */
async function peakCommittedMb(percent: number): Promise<number> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'tests/unit/worker/fixtures/heap-churn.ts', String(percent)]);
  const result = JSON.parse(stdout) as { peakCommittedMb: number; live: number };
  expect(result.live).toBe(600_000);
  return result.peakCommittedMb;
}

describe('worker.js_heap_growing_percent', () => {
  it("keeps a churning heap near its live size, where V8's own factor lets it double", async () => {
    const [ownFactor, fiftyPercent] = await Promise.all([peakCommittedMb(0), peakCommittedMb(50)]);
    // Measured on Node 20: ~500 MB with V8's own factor, ~220 MB at 50 % (the live set is ~100 MB).
    expect(fiftyPercent).toBeLessThan(ownFactor * 0.7);
    expect(fiftyPercent).toBeGreaterThan(100);
  }, 60_000);

  it('refuses a value that is not a whole number ≥ 0, naming the setting', () => {
    expect(() => setJsHeapGrowingPercent(-1)).toThrow(/worker\.js_heap_growing_percent must be a whole number ≥ 0/);
    expect(() => setJsHeapGrowingPercent(1.5)).toThrow(/got 1\.5/);
  });
});
