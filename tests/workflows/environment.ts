// The Temporal server the workflow tests run on: the dev server from the project's own tools
// (scripts/install-temporal.sh), on a real clock, with a continue-as-new threshold each test file chooses.
// Temporal's time-skipping test server is not used: it may skip its clock while an activity runs, which fired
// heartbeat timeouts no real build meets and made builds hang on retries under load.
// The workflow code is bundled once per run (tests/workflows/global-setup.ts) and shared by every test's worker.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { findTemporalCli } from '../../src/infra/services/temporal-dev-server';
import { ACCEPTED, DATASET_ID, OWNER, STAGE } from '../../src/workflows/search-attributes';
import { taskQueueFor, WORK_KINDS } from '../../src/workflows/task-queues';

let runtimeInstalled = false;
/** Worker logs at error only: an expected activity failure would otherwise print a warning per attempt. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

/** The dev server, suggesting continue-as-new once a run's history holds `suggestContinueAsNewAt` events. */
export async function devServerEnvironment(suggestContinueAsNewAt: number): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: findTemporalCli() },
      searchAttributes: [DATASET_ID, OWNER, STAGE, ACCEPTED],
      extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${suggestContinueAsNewAt}`],
    },
  });
}

/** The worker's own workflows (src/workflows/index.ts), bundled once per run by tests/workflows/global-setup.ts. */
export function workflowBundle(): { codePath: string } {
  return { codePath: inject('workflowBundlePath') };
}

let queues = 0;

/** Workers that run together until a test's work is done. */
export interface TestWorkers {
  runUntil<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Workers on a task queue of their own, running the real workflows with the given (fake) activities: one per kind
 * of work, as a deployment has, because the workflows send each activity to its kind's queue (`<queue>-llm`, …).
 */
export async function testWorker(env: TestWorkflowEnvironment, activities: object): Promise<{ worker: TestWorkers; taskQueue: string }> {
  const taskQueue = `workflow-test-${process.pid}-${++queues}`;
  const workers = await Promise.all(
    WORK_KINDS.map((kind) =>
      Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue: taskQueueFor(taskQueue, kind),
        ...(kind === 'workflows' ? { workflowBundle: workflowBundle() } : {}),
        activities,
      }),
    ),
  );
  return { worker: { runUntil: (work) => runAllUntil(workers, work) }, taskQueue };
}

/** Runs every worker until `work` settles, then shuts them all down. */
async function runAllUntil<T>(workers: Worker[], work: () => Promise<T>): Promise<T> {
  const [first, ...others] = workers;
  return first.runUntil(async () => {
    const running = others.map((worker) => worker.run());
    try {
      return await work();
    } finally {
      for (const worker of others) worker.shutdown();
      await Promise.allSettled(running);
    }
  });
}
