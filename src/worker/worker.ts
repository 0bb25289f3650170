// The worker: one process that serves some or all kinds of work (workflows, LLM batches, acceptance, file work),
// one Temporal Worker per kind on that kind's task queue, all sharing one connection and one set of dependencies.
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { DatacreekConfig } from '../infra/config';
import { createActivities } from '../activities';
import { createActivityDeps, type ActivityDeps } from '../activities';
import { ACTIVITY_KINDS, parseWorkKinds, taskQueueFor, type WorkKind } from '../workflows/task-queues';
import { connectEndpointBudget } from '../infra/llm';
import { removeScratchFolders } from '../infra/vectors';
import { sharedEndpointBudget, useSharedEndpointBudget } from '../infra/llm';
import { reportEventLoopDelay } from './event-loop-report';
import { setJsHeapGrowingPercent } from './heap-growth';
import { chooseWorkflowCode, WORKFLOWS_PATH } from './workflow-code';

export { WORKFLOWS_PATH };

export interface RunningWorker {
  /** The configuration the worker runs with (a local model provider resolved to its in-process endpoint). */
  config: DatacreekConfig;
  /** One Temporal Worker per kind of work served, each polling its own task queue. */
  workers: ServedQueue[];
  deps: ActivityDeps;
  connection: NativeConnection;
  /** Resolves when the worker has stopped (after shutdown() or a fatal error). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export interface ServedQueue {
  kind: WorkKind;
  taskQueue: string;
  worker: Worker;
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
    /** Per-queue Worker options; `taskQueue` is not one of them (it comes from the kind of work). */
    workerOptions?: Partial<Omit<WorkerOptions, 'taskQueue'>>;
    deps?: ActivityDeps;
    /** Load the prebuilt workflow bundle when there is a current one (production); otherwise bundle the sources. */
    prebuiltWorkflows?: boolean;
    /** The kinds of work to serve (`--serve`); default config worker.serve. */
    serve?: string | readonly string[];
  } = {},
): Promise<RunningWorker> {
  // A bad serve list fails before anything starts, naming the kinds that exist.
  const kinds = parseWorkKinds(opts.serve ?? config.worker.serve);
  installRuntime();
  setJsHeapGrowingPercent(config.worker.js_heap_growing_percent);
  // A worker killed on this machine together with its table-maintenance child left that child's spill folder.
  const swept = removeScratchFolders();
  if (swept.length > 0) console.log(`[worker] removed ${swept.length} scratch folder(s) of table maintenance that ended with its worker`);
  // llm.provider `local`: serve the bundled model in-process, behind the same OpenAI-compatible client.
  const { resolveLocalProvider } = await import('../infra/local-llm');
  const local = await resolveLocalProvider(config, { log: (m) => console.log(`[local-llm] ${m}`) });
  for (const note of local.notes) console.log(`[local-llm] ${note}`);
  config = local.config;
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const deps = opts.deps ?? createActivityDeps(config, { databaseUrl: opts.databaseUrl });
  const activities = createActivities(deps);
  const workers: ServedQueue[] = [];
  for (const kind of kinds) {
    const taskQueue = taskQueueFor(config.temporal.task_queue, kind);
    // Only the base queue runs workflows: the other queues carry activities alone, so they load no workflow code.
    const workflowCode = kind === 'workflows' && opts.prebuiltWorkflows ? chooseWorkflowCode() : undefined;
    if (workflowCode) console.log(`[worker] ${workflowCode.description}`);
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue,
      ...(kind === 'workflows' ? (workflowCode?.options ?? { workflowsPath: WORKFLOWS_PATH }) : {}),
      activities: activitiesOfKind(activities, kind),
      maxConcurrentActivityTaskExecutions: config.worker.max_concurrent_activities,
      shutdownGraceTime: config.worker.shutdown_grace_ms,
      ...opts.workerOptions,
    });
    workers.push({ kind, taskQueue, worker });
  }
  // Installed before any activity can run (they start with worker.run()): every LLM request of this process then
  // holds a lease shared with the other workers.
  const sharedBudget = config.llm.concurrency_scope === 'cluster' ? connectEndpointBudget(opts.databaseUrl ?? config.database.url) : null;
  useSharedEndpointBudget(sharedBudget?.budget ?? null);
  const stopReport = reportEventLoopDelay(config.worker.event_loop_report_ms, (line) => console.log(line));
  // One queue's worker failing stops the others too: a half-serving worker would look alive while work waits.
  const runs = workers.map(({ worker }) => worker.run());
  const done = Promise.all(runs)
    .catch(async (error) => {
      stopAll(workers);
      await Promise.allSettled(runs);
      throw error;
    })
    .then(() => undefined)
    .finally(async () => {
      stopReport();
      if (sharedBudget) {
        if (sharedEndpointBudget() === sharedBudget.budget) useSharedEndpointBudget(null);
        await sharedBudget.close().catch(() => {});
      }
      await deps.close().catch(() => {});
      await connection.close().catch(() => {});
      await local.close().catch(() => {});
    });
  return {
    config,
    workers,
    deps,
    connection,
    done,
    shutdown: async () => {
      stopAll(workers);
      await done;
    },
  };
}

function stopAll(workers: ServedQueue[]): void {
  for (const { worker } of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
}

/** The activities that run on one kind's queue (ACTIVITY_KINDS says which). */
function activitiesOfKind<T extends Record<string, unknown>>(activities: T, kind: WorkKind): Partial<T> {
  return Object.fromEntries(Object.entries(activities).filter(([name]) => (ACTIVITY_KINDS as Record<string, WorkKind>)[name] === kind)) as Partial<T>;
}
