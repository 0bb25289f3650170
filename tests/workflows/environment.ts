// The Temporal servers the workflow tests run on, from the project's own tools (nothing is downloaded):
// - Temporal's time-skipping test server (scripts/install-temporal-test-server.sh): timers and timeouts pass at
//   once while the workflow waits, so retries and long waits cost nothing;
// - the Temporal dev server (scripts/install-temporal.sh) with a low continue-as-new threshold, for what the
//   time-skipping server does not implement: it never suggests continue-as-new.
// The workflow code is bundled once per run (tests/workflows/global-setup.ts) and shared by every test's worker.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { PROJECT_ROOT } from '../../src/infra/config/load';
import { findTemporalCli, SEARCH_ATTRIBUTES } from '../../src/infra/services/temporal-dev-server';
import { ACCEPTED, DATASET_ID, OWNER, STAGE } from '../../src/workflows/search-attributes';

export const TEST_SERVER_PATH = path.join(PROJECT_ROOT, '.tools', 'bin', 'temporal-test-server');

let runtimeInstalled = false;
/** Worker logs at error only: an expected activity failure would otherwise print a warning per attempt. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  if (!existsSync(TEST_SERVER_PATH)) {
    throw new Error(`${TEST_SERVER_PATH} is missing: run bash scripts/install-temporal-test-server.sh (needs Java 17 and Maven)`);
  }
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: TEST_SERVER_PATH } } });
  // The build upserts typed search attributes; this server, like any, must know them first.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, searchAttributeType(type)])),
  });
  return env;
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

/** temporal.api.enums.v1.IndexedValueType of a dev-server search attribute type. */
function searchAttributeType(type: (typeof SEARCH_ATTRIBUTES)[keyof typeof SEARCH_ATTRIBUTES]): number {
  return type === 'Int' ? 3 : 2;
}

/** The worker's own workflows (src/workflows/index.ts), bundled once per run by tests/workflows/global-setup.ts. */
export function workflowBundle(): { codePath: string } {
  return { codePath: inject('workflowBundlePath') };
}

let queues = 0;
/** A worker on a task queue of its own, running the real workflows with the given (fake) activities. */
export async function testWorker(env: TestWorkflowEnvironment, activities: object): Promise<{ worker: Worker; taskQueue: string }> {
  const taskQueue = `workflow-test-${process.pid}-${++queues}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: workflowBundle(),
    activities,
  });
  return { worker, taskQueue };
}
