// buildDataset's decisions near the target and under live control, on Temporal's time-skipping test server with
// fake activities whose batches and acceptances a test holds and releases (tests/workflows/fake-build.ts).
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BuildInput, BuildProgress } from '../../src/workflows/build-input';
import { timeSkippingEnvironment, workflowBundle } from './environment';
import { FakeBuild, Gate } from './fake-build';
import { runBuild as run, waitUntil } from './run-build';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  await workflowBundle();
});

// A server per test: a build that waited for ever makes the test server skip its clock to the run's timeout, and a
// test after it on the same server must not inherit that clock.
beforeEach(async () => {
  env = await timeSkippingEnvironment();
});

afterEach(async () => {
  await env?.teardown();
});

const runBuild = (fake: FakeBuild, input: Partial<BuildInput>, during?: (handle: WorkflowHandle) => Promise<void>) => run(env, fake, input, during);
const progressOf = (handle: WorkflowHandle) => handle.query<BuildProgress>('progress');

async function waitForProgress(handle: WorkflowHandle, what: string, check: (p: BuildProgress) => boolean): Promise<BuildProgress> {
  let last: BuildProgress | undefined;
  const deadline = Date.now() + 30_000;
  while (!(last && check(last))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last progress ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await progressOf(handle);
  }
  return last;
}

describe('buildDataset near the target', () => {
  it('launches no more batches than those under way will likely need, whatever the concurrency allows', async () => {
    // Each batch yields 2 records. Three batches run one at a time (the yield is known from then on), the fourth
    // is held, and the concurrency jumps to 16: 14 records are missing, so about 7 batches are needed, not 16.
    const fake = new FakeBuild({ candidatesPerBatch: 2, settings: { concurrency: 1 } });
    fake.batchGate = new Gate();
    fake.freeBatches = 3;
    let underWay = 0;
    const { progress, error } = await runBuild(fake, { target: 20 }, async (handle) => {
      await waitForProgress(handle, 'three accepted batches and a fourth under way', (p) => p.batchesDone === 3 && p.batchesInFlight === 1);
      const raised = await handle.executeUpdate<BuildProgress, [{ concurrency: number }]>('setConcurrency', { args: [{ concurrency: 16 }] });
      expect(raised.concurrency).toBe(16);
      underWay = (await progressOf(handle)).batchesInFlight;
      await waitUntil(`${underWay} batches held`, () => fake.batchGate!.waiting === underWay);
      fake.batchGate!.open();
    });
    expect(error).toBeUndefined();
    expect(progress).toMatchObject({ stopReason: 'target_reached', accepted: 20 });
    // Enough under way to finish (7 × 2 ≥ 14), with some margin, and well short of the 16 allowed.
    expect(underWay).toBeGreaterThanOrEqual(7);
    expect(underWay).toBeLessThanOrEqual(11);
    // Nothing launched after the release: those batches held more than enough.
    expect(fake.launchedBatchIds).toHaveLength(3 + underWay);
  });
});
