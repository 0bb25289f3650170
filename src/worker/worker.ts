// The worker: one process that runs datacreek's workflows and activities on one task queue.
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { DatacreekConfig } from '../infra/config';
import { createActivities } from '../activities';
import { createActivityDeps, type ActivityDeps } from '../activities';
import { reportEventLoopDelay } from './event-loop-report';
import { chooseWorkflowCode, WORKFLOWS_PATH } from './workflow-code';

export { WORKFLOWS_PATH };

export interface RunningWorker {
  /** The configuration the worker runs with (a local model provider resolved to its in-process endpoint). */
  config: DatacreekConfig;
  worker: Worker;
  deps: ActivityDeps;
  connection: NativeConnection;
  /** Resolves when the worker has stopped (after shutdown() or a fatal error). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * The SDK's runtime would otherwise catch SIGINT/SIGTERM itself and stop workers behind our back, racing the
 * ordered shutdown of `datacreek dev` (API, then worker, then servers). We handle signals; it does not.
 */
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ shutdownSignals: [] });
  } catch {
    // Already installed by the host process (e.g. a test harness): keep its settings.
  }
}

/** Stops the worker gracefully on the first SIGINT/SIGTERM (running activities get the grace time). */
export function shutdownOnSignals(running: RunningWorker, log: (m: string) => void = () => {}): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    log(`${signal}: stopping the worker …`);
    void running.shutdown();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

export async function startWorker(
  config: DatacreekConfig,
  opts: {
    databaseUrl?: string;
    workerOptions?: Partial<WorkerOptions>;
    deps?: ActivityDeps;
    /** Load the prebuilt workflow bundle when there is a current one (production); otherwise bundle the sources. */
    prebuiltWorkflows?: boolean;
  } = {},
): Promise<RunningWorker> {
  installRuntime();
  // llm.provider `local`: serve the bundled model in-process, behind the same OpenAI-compatible client.
  const { resolveLocalProvider } = await import('../infra/local-llm');
  const local = await resolveLocalProvider(config, { log: (m) => console.log(`[local-llm] ${m}`) });
  for (const note of local.notes) console.log(`[local-llm] ${note}`);
  config = local.config;
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const deps = opts.deps ?? createActivityDeps(config, { databaseUrl: opts.databaseUrl });
  const workflowCode = opts.prebuiltWorkflows ? chooseWorkflowCode() : undefined;
  if (workflowCode) console.log(`[worker] ${workflowCode.description}`);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.task_queue,
    ...(workflowCode?.options ?? { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(deps),
    maxConcurrentActivityTaskExecutions: config.worker.max_concurrent_activities,
    shutdownGraceTime: config.worker.shutdown_grace_ms,
    ...opts.workerOptions,
  });
  const stopReport = reportEventLoopDelay(config.worker.event_loop_report_ms, (line) => console.log(line));
  const done = worker.run().finally(async () => {
    stopReport();
    await deps.close().catch(() => {});
    await connection.close().catch(() => {});
    await local.close().catch(() => {});
  });
  return {
    config,
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
