// followBuild's bookkeeping (progress polling, Ctrl-C, how a build ended) against a stand-in for the Temporal
// client's few calls it makes; the integration tests run the same code against a real server.
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState } from '@temporalio/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { followBuild } from '../../../src/cli/follow-build';
import type { BuildProgress } from '../../../src/workflows/build-input';

function progress(accepted: number, overrides: Partial<BuildProgress> = {}): BuildProgress {
  return {
    datasetId: 'docs',
    status: 'running',
    target: 10,
    accepted,
    generated: accepted * 2,
    parseFailures: 0,
    rejected: {},
    surplus: 0,
    round: 1,
    batchesDone: accepted,
    batchesInFlight: 1,
    tokensIn: accepted * 100,
    tokensOut: accepted * 50,
    concurrency: 2,
    continuedAsNew: 0,
    ...overrides,
  };
}

/** A build whose `progress` answers come from `answers` in turn, and whose result settles when `finish` is called. */
function standInBuild(answers: (BuildProgress | undefined)[]) {
  let finish!: (outcome: { value?: BuildProgress; error?: unknown }) => void;
  const result = new Promise<BuildProgress>((resolve, reject) => {
    finish = ({ value, error }) => (error ? reject(error) : resolve(value!));
  });
  let queries = 0;
  const client = {
    withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
    workflow: {
      getHandle: () => ({
        result: () => result,
        query: async () => {
          const answer = answers[Math.min(queries++, answers.length - 1)];
          if (!answer) throw new Error('no worker answered');
          return answer;
        },
      }),
    },
  } as unknown as Client;
  return { client, finish, queries: () => queries };
}

const OPTIONS = { display: 'lines' as const, taskQueue: 'test-queue', pollMs: 10 };

afterEach(() => vi.restoreAllMocks());

describe('followBuild', () => {
  it('polls progress, prints lines on stderr, and returns the final progress', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    const build = standInBuild([progress(2), progress(5)]);
    const following = followBuild(build.client, 'build-docs', OPTIONS);
    await vi.waitFor(() => expect(build.queries()).toBeGreaterThanOrEqual(2));
    build.finish({ value: progress(10, { status: 'completed', stopReason: 'target_reached', batchesInFlight: 0 }) });
    const outcome = await following;
    expect(outcome).toEqual({ kind: 'completed', progress: expect.objectContaining({ accepted: 10, stopReason: 'target_reached' }) });
    expect(writes.join('')).toContain('2/10 accepted | 4 generated');
  });

  it('detaches on Ctrl-C, keeping the last progress, and leaves the SIGINT handlers as they were', async () => {
    const listeners = process.listenerCount('SIGINT');
    const build = standInBuild([progress(3)]);
    const following = followBuild(build.client, 'build-docs', { ...OPTIONS, display: 'none' });
    await vi.waitFor(() => expect(build.queries()).toBeGreaterThanOrEqual(1));
    process.emit('SIGINT');
    expect(await following).toEqual({ kind: 'detached', progress: expect.objectContaining({ accepted: 3 }) });
    expect(process.listenerCount('SIGINT')).toBe(listeners);
    build.finish({ value: progress(10) });
  });

  it("reports a failure with the activity's message and hint", async () => {
    const build = standInBuild([progress(0)]);
    const following = followBuild(build.client, 'build-docs', { ...OPTIONS, display: 'none' });
    const cause = ApplicationFailure.create({ type: 'InvalidInput', message: 'dataset "docs" has no chunks', details: [{ hint: 'Ingest documents first' }] });
    const activity = new ActivityFailure('activity failed', 'prepareBuild', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);
    build.finish({ error: new WorkflowFailedError('Workflow execution failed', activity, RetryState.NON_RETRYABLE_FAILURE) });
    expect(await following).toMatchObject({
      kind: 'failed',
      failure: { code: 'InvalidInput', message: 'dataset "docs" has no chunks', hint: 'Ingest documents first' },
    });
  });

  it('reports a cancelled build with the counts it stopped at', async () => {
    const build = standInBuild([progress(4)]);
    const following = followBuild(build.client, 'build-docs', { ...OPTIONS, display: 'none' });
    await vi.waitFor(() => expect(build.queries()).toBeGreaterThanOrEqual(1));
    build.finish({ error: new WorkflowFailedError('Workflow execution cancelled', new CancelledFailure('cancelled'), RetryState.NON_RETRYABLE_FAILURE) });
    expect(await following).toEqual({ kind: 'cancelled', progress: expect.objectContaining({ accepted: 4, status: 'cancelled', stopReason: 'cancelled' }) });
  });
});
