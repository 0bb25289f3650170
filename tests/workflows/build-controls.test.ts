// buildDataset's decisions near the target and under live control, on a Temporal dev server with
// fake activities whose batches and acceptances a test holds and releases (tests/workflows/fake-build.ts).
import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWorkflowFailure } from '../../src/cli/workflows';
import type { BuildInput, BuildProgress } from '../../src/workflows/build-input';
import { devServerEnvironment } from './environment';
import { FakeBuild, Gate } from './fake-build';
import { runBuild as run, waitUntil } from './run-build';

let env: TestWorkflowEnvironment;

// The dev server, on a real clock: these tests hold batches and acceptances at gates, and the time-skipping test
// server may skip its clock while an activity is held, firing heartbeat timeouts no real build would meet (under
// load that made a build in the neighbouring stop tests hang on retries). A build that waited for ever here fails
// the test at its timeout.
beforeAll(async () => {
  env = await devServerEnvironment(10_000);
});

afterAll(async () => {
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

describe('buildDataset under live control', () => {
  it('completes when it reaches the target while paused', async () => {
    // Two batches of 5 are under way when the pause arrives; they are still accepted and meet the target of 10.
    const fake = new FakeBuild({ candidatesPerBatch: 5, settings: { concurrency: 2 } });
    fake.batchGate = new Gate();
    const { progress, error } = await runBuild(fake, { target: 10 }, async (handle) => {
      await waitUntil('two batches held', () => fake.batchGate!.waiting === 2);
      await handle.signal('pause');
      await waitForProgress(handle, 'the pause', (p) => p.status === 'paused');
      fake.batchGate!.open();
    });
    expect(error === undefined ? undefined : describeWorkflowFailure(error), 'the paused build did not complete at its target').toBeUndefined();
    expect(progress).toMatchObject({ status: 'completed', stopReason: 'target_reached', accepted: 10 });
    expect(fake.launchedBatchIds).toHaveLength(2);
    expect(fake.finalizeCalls.map((c) => c.status)).toEqual(['completed']);
  });

  it('never accepts more than the target when setTarget lowers it during an acceptance', async () => {
    // The first batch offers 10 records and its acceptance starts under the target of 20; while it runs, setTarget
    // asks for 5. Either the update waits for the acceptance and is then refused (10 are accepted) or the
    // acceptance takes the new target into account: in no case may more than the target in force be accepted.
    const fake = new FakeBuild({ candidatesPerBatch: 10, settings: { concurrency: 1 } });
    fake.acceptGate = new Gate();
    let update: { target?: number; refused?: string } | undefined;
    const { progress, error } = await runBuild(fake, { target: 20 }, async (handle) => {
      await waitUntil('an acceptance held', () => fake.acceptGate!.waiting === 1);
      // The update is admitted (its validator ran in the workflow) while the acceptance is still held.
      const admitted = await handle.startUpdate<BuildProgress, [{ target: number }]>('setTarget', {
        args: [{ target: 5 }],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      expect(fake.acceptGate!.waiting).toBe(1);
      fake.acceptGate!.open();
      update = await admitted.result().then(
        (p) => ({ target: p.target }),
        (err: Error) => ({ refused: String((err.cause as Error | undefined)?.message ?? err.message) }),
      );
    });
    expect(error === undefined ? undefined : describeWorkflowFailure(error)).toBeUndefined();
    expect(progress!.stopReason).toBe('target_reached');
    expect(progress!.accepted).toBe(progress!.target);
    expect(fake.accepted).toBe(progress!.accepted);
    if (update!.refused) {
      expect(update!.refused).toMatch(/below the 10 records already accepted/);
      expect(progress!.target).toBe(20);
    } else {
      expect(update!.target).toBe(5);
      expect(progress!.target).toBe(5);
    }
  });
});
