// What buildDataset carries through continue-as-new: the settings (prepared once), the progress (counts add up
// over every run) and the cursor (no batch is launched twice, none is skipped). On the Temporal dev server, which
// suggests continue-as-new once a run's history is long; the time-skipping server never does.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devServerEnvironment } from './environment';
import { FakeBuild } from './fake-build';
import { runBuild } from './run-build';

/** Events in a run before the server suggests continue-as-new: a few batches' worth. */
const SUGGEST_AT = 40;

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServerEnvironment(SUGGEST_AT);
});

afterAll(async () => {
  await env?.teardown();
});

describe('buildDataset across continue-as-new', () => {
  it('carries settings, progress and cursor into every new run', async () => {
    const fake = new FakeBuild({ candidatesPerBatch: 1, tokensPerBatch: { in: 7, out: 3 }, settings: { concurrency: 2, batchesPerRound: 5 } });
    const { progress, error, workflowId } = await runBuild(env, fake, { target: 30 });
    expect(error).toBeUndefined();
    expect(progress).toMatchObject({ status: 'completed', stopReason: 'target_reached', accepted: 30 });

    // Several runs, and the count the progress keeps agrees with the server's.
    const runs: string[] = [];
    for await (const execution of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(execution.runId);
    expect(progress!.continuedAsNew).toBeGreaterThanOrEqual(1);
    expect(runs).toHaveLength(progress!.continuedAsNew + 1);

    // Settings: prepared by the first run only.
    expect(fake.prepareCalls).toHaveLength(1);
    // Cursor: every batch once, in the order of rounds and indexes, none skipped.
    const launched = fake.launchedBatches;
    const expected = Array.from({ length: launched.length }, (_, i) => `r${Math.floor(i / 5) + 1}/b${i % 5}`);
    expect([...launched].sort()).toEqual([...expected].sort());
    expect(fake.batchCalls).toHaveLength(launched.length);
    // Progress: the counts of all runs together.
    const finished = fake.candidatesOffered;
    expect(progress).toMatchObject({ generated: finished, tokensIn: 7 * finished, tokensOut: 3 * finished, batchesDone: finished });
    expect(progress!.surplus).toBe(finished - 30);
    expect(progress!.round).toBe(Math.floor((launched.length - 1) / 5) + 1);
  });
});
