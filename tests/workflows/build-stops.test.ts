// buildDataset's stop decisions, on a Temporal dev server with fake activities
// (tests/workflows/fake-build.ts): each way a build can end, and what it leaves finalized.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWorkflowFailure, isCancelled } from '../../src/client';
import type { BuildInput } from '../../src/workflows/build-input';
import { devServerEnvironment } from './environment';
import { FakeBuild, Gate, nonRetryable, type FakeBuildOptions } from './fake-build';
import { runBuild as run, waitUntil } from './run-build';

let env: TestWorkflowEnvironment;

// The dev server, on a real clock. These builds need no skipped time (their fake activities return at once, and
// nothing waits on a timer), and the time-skipping test server may skip time while an activity runs: under load
// that fired heartbeat timeouts no real build would meet, and the rebuild test (two builds) hung in CI waiting on
// retries. A high continue-as-new threshold keeps each build in one run.
beforeAll(async () => {
  env = await devServerEnvironment(10_000);
});

afterAll(async () => {
  await env?.teardown();
});

const runBuild = (fake: FakeBuild, input: Partial<BuildInput>, during?: (handle: WorkflowHandle) => Promise<void>) => run(env, fake, input, during);
const fakeBuild = (options: FakeBuildOptions = {}) => new FakeBuild(options);

describe('buildDataset stops', () => {
  it('at target_reached with exactly the target accepted, and finalizes once as completed', async () => {
    const fake = fakeBuild({ candidatesPerBatch: 3 });
    const { progress, error } = await runBuild(fake, { target: 10 });
    expect(error).toBeUndefined();
    expect(progress).toMatchObject({ status: 'completed', stopReason: 'target_reached', accepted: 10, target: 10 });
    expect(fake.accepted).toBe(10);
    // Whatever finished batches offered beyond the 10 ends as surplus.
    expect(progress!.surplus).toBe(fake.candidatesOffered - 10);
    expect(fake.prepareCalls).toHaveLength(1);
    expect(fake.finalizeCalls.map((c) => c.status)).toEqual(['completed']);
    expect(fake.finalizeCalls[0].progress).toMatchObject({ accepted: 10, stopReason: 'target_reached' });
  });

  it('at max_rounds once every round has run, short of the target', async () => {
    const fake = fakeBuild({ candidatesPerBatch: 1, settings: { maxRounds: 2, batchesPerRound: 3 } });
    const { progress, error } = await runBuild(fake, { target: 100 });
    expect(error).toBeUndefined();
    expect(progress).toMatchObject({ status: 'completed', stopReason: 'max_rounds', accepted: 6 });
    // Each batch of both rounds once (two run at a time, so they may start in either order).
    expect([...fake.launchedBatches].sort()).toEqual(['r1/b0', 'r1/b1', 'r1/b2', 'r2/b0', 'r2/b1', 'r2/b2']);
    expect(fake.finalizeCalls.map((c) => c.status)).toEqual(['completed']);
  });

  it('at sources_exhausted when the dataset offers no batch per round', async () => {
    const fake = fakeBuild({ candidatesPerBatch: 1, settings: { maxRounds: 3, batchesPerRound: 0 } });
    const { progress, error } = await runBuild(fake, { target: 100 });
    expect(error).toBeUndefined();
    expect(progress).toMatchObject({ status: 'completed', stopReason: 'sources_exhausted' });
    expect(progress!.accepted).toBeLessThan(100);
    expect(fake.finalizeCalls.map((c) => c.status)).toEqual(['completed']);
  });

  it('at token_budget once the batches have spent it, launching nothing after', async () => {
    const fake = fakeBuild({ candidatesPerBatch: 1, tokensPerBatch: { in: 300, out: 200 }, settings: { tokenBudget: 2000, concurrency: 1 } });
    const { progress, error } = await runBuild(fake, { target: 100 });
    expect(error).toBeUndefined();
    expect(progress).toMatchObject({ status: 'completed', stopReason: 'token_budget', accepted: 4, tokensIn: 1200, tokensOut: 800 });
    expect(fake.launchedBatchIds).toHaveLength(4);
  });

  it('at cancelled: batches under way stop, accepted records stay, and the build finalizes once as cancelled', async () => {
    const fake = fakeBuild({ candidatesPerBatch: 2, settings: { concurrency: 2 } });
    const { progress, error } = await runBuild(fake, { target: 50 }, async (handle) => {
      // Two batches go through, then the next ones are held while the cancel arrives.
      await waitUntil('4 accepted records', () => fake.accepted >= 4);
      fake.batchGate = new Gate();
      await waitUntil('a batch held at the gate', () => fake.batchGate!.waiting > 0);
      await handle.cancel();
    });
    expect(progress).toBeUndefined();
    expect(isCancelled(error)).toBe(true);
    expect(fake.cancelledBatches).toBeGreaterThan(0);
    expect(fake.finalizeCalls.map((c) => c.status)).toEqual(['cancelled']);
    expect(fake.finalizeCalls[0].progress).toMatchObject({ status: 'cancelled', stopReason: 'cancelled', accepted: fake.accepted, batchesInFlight: 0 });
  });

  it('finalizes as completed when a cancel arrives during the final finalize, before the workflow ends', async () => {
    // The target is met and the finalize is under way (held here, as one on a killed worker would be) when the cancel
    // arrives: the workflow waits for it, so the dataset does not stay "building".
    const fake = fakeBuild({ candidatesPerBatch: 5 });
    fake.finalizeGate = new Gate();
    const { error } = await runBuild(fake, { target: 10 }, async (handle) => {
      await waitUntil('the final finalize under way', () => fake.finalizeCalls.length === 1);
      await handle.cancel();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect((await handle.describe()).status.name, 'the workflow ended while its finalize still ran').toBe('RUNNING');
      fake.finalizeGate!.open();
    });
    expect(isCancelled(error)).toBe(true);
    expect(fake.finalized.map((c) => c.status)).toEqual(['completed']);
    expect(fake.finalized[0].progress).toMatchObject({ status: 'completed', accepted: 10 });
  });

  it('by failing when a batch fails for good, after finalizing the dataset as failed with the reason', async () => {
    // The first batch is held (still running) when the second one fails: the build stops it before finalizing.
    const fake = fakeBuild({ failBatch: (args) => (args.index === 1 ? nonRetryable('the source file is unreadable') : undefined) });
    fake.batchGate = new Gate();
    const { progress, error } = await runBuild(fake, { target: 10 });
    expect(progress).toBeUndefined();
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(describeWorkflowFailure(error)).toMatchObject({ code: 'InvalidInput', message: 'the source file is unreadable' });
    // Not retried: the failure is non-retryable.
    expect(fake.batchCalls.filter((c) => c.index === 1)).toHaveLength(1);
    expect(fake.cancelledBatches).toBe(1);
    // Finalized once, as failed, with what was accepted and why it failed; nothing was still running by then.
    expect(fake.finalizeCalls.map((c) => c.status)).toEqual(['failed']);
    expect(fake.finalizeCalls[0].error).toMatch(/the source file is unreadable/);
    expect(fake.finalizeCalls[0].progress).toMatchObject({ status: 'failed', stopReason: 'failed', accepted: fake.accepted, batchesInFlight: 0 });
  });
});

describe('building a dataset again', () => {
  it('continues from what the dataset holds, in a new epoch, with rounds going on from where they stopped', async () => {
    const fake = fakeBuild({ candidatesPerBatch: 3, settings: { batchesPerRound: 2 } });
    const first = await runBuild(fake, { target: 20 });
    expect(first.progress).toMatchObject({ stopReason: 'target_reached', accepted: 20 });
    const firstRounds = fake.batchCalls.map((c) => c.round);
    const launchedBefore = fake.batchCalls.length;

    const second = await runBuild(fake, { target: 30 });
    expect(second.error).toBeUndefined();
    // The target is the dataset's total: 10 more, on top of the 20 held.
    expect(second.progress).toMatchObject({ stopReason: 'target_reached', accepted: 30, acceptedBefore: 20, target: 30 });
    expect(fake.accepted).toBe(30);
    const secondBatches = fake.batchCalls.slice(launchedBefore);
    expect(secondBatches.length).toBeGreaterThan(0);
    expect(Math.min(...secondBatches.map((c) => c.round))).toBe(Math.max(...firstRounds) + 1);
    // Its batch ids are the new epoch's: nothing of the first build is met again.
    expect(secondBatches.every((c) => c.batchId.startsWith(`${second.workflowId}/e2/`))).toBe(true);
    expect(fake.finalizeCalls.map((c) => c.status)).toEqual(['completed', 'completed']);
  });
});
