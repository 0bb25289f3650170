// Running one buildDataset to its end in a test environment, on a worker of its own with fake activities.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { BuildInput, BuildProgress } from '../../src/workflows/build-input';
import { testWorker } from './environment';
import type { FakeBuild } from './fake-build';

export interface BuildOutcome {
  progress?: BuildProgress;
  error?: unknown;
  workflowId: string;
}

let builds = 0;

/**
 * Starts a build of `input` (dataset `wf-test`, target 10 unless given), lets `during` steer it, and waits for its
 * end: the progress it returned, or the error it failed with.
 */
export async function runBuild(
  env: TestWorkflowEnvironment,
  fake: FakeBuild,
  input: Partial<BuildInput>,
  during?: (handle: WorkflowHandle) => Promise<void>,
): Promise<BuildOutcome> {
  const { worker, taskQueue } = await testWorker(env, fake.activities());
  const workflowId = `build-wf-test-${process.pid}-${++builds}`;
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start('buildDataset', {
      taskQueue,
      workflowId,
      args: [{ datasetId: 'wf-test', target: 10, ...input } satisfies BuildInput],
    });
    if (during) await during(handle);
    return handle.result().then(
      (progress: BuildProgress) => ({ progress, workflowId }),
      (error: unknown) => ({ error, workflowId }),
    );
  });
}

/** Polls a condition on the fake (its activities run in this process), failing after `timeoutMs`. */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
