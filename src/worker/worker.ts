// The worker: one process that runs datacreek's workflows and activities on one task queue.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { DatacreekConfig } from '../config/schema';
import { createActivities } from '../activities';
import { createActivityDeps, type ActivityDeps } from '../activities/deps';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface RunningWorker {
  worker: Worker;
  deps: ActivityDeps;
  connection: NativeConnection;
  /** Resolves when the worker has stopped (after shutdown() or a fatal error). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorker(
  config: DatacreekConfig,
  opts: { databaseUrl?: string; workerOptions?: Partial<WorkerOptions>; deps?: ActivityDeps } = {},
): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const deps = opts.deps ?? createActivityDeps(config, { databaseUrl: opts.databaseUrl });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.task_queue,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities(deps),
    maxConcurrentActivityTaskExecutions: config.worker.max_concurrent_activities,
    shutdownGraceTime: config.worker.shutdown_grace_ms,
    ...opts.workerOptions,
  });
  const done = worker.run().finally(async () => {
    await deps.close().catch(() => {});
    await connection.close().catch(() => {});
  });
  return {
    worker,
    deps,
    connection,
    done,
    shutdown: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
