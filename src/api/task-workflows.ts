// Tasks are Temporal workflows started for a user: this module starts them (and records the `tasks` row that
// makes them the user's), reads their state back, and sends them live controls. Workflows are addressed by
// NAME: the API never imports workflow code.
import {
  isGrpcDeadlineError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { busyExplanation, liveWriter, temporalWriterIsLive, type DatasetWriter } from '../activities/dataset-writer';
import { workflowUiUrl } from '../client';
import { buildProgress, tasks } from '../infra/db';
import type { TaskKind } from './config-override';
import type { ResolvedDeps } from './context';
import { ApiError, conflict } from './errors';
import { iso } from './schemas';

export const WORKFLOW_TYPES: Record<TaskKind, string> = {
  ingest: 'ingestWorkflow',
  build: 'buildDataset',
  generate: 'buildDataset',
  curate: 'curateDataset',
  save: 'exportDataset',
};

/** How long a query or update may wait for a worker before the API answers 504 rather than hanging. */
const QUERY_DEADLINE_MS = 3_000;
const UPDATE_DEADLINE_MS = 15_000;

/** The task kinds that write a dataset and so take its writer lease (an export only reads a snapshot). */
const WRITING_KINDS = new Set<TaskKind>(['ingest', 'build', 'generate', 'curate']);

/**
 * 409 DatasetBusy when another task holds the dataset's writer lease. The workflow's first activity checks again
 * (and alone decides, for workflows started by other means); this answers at once instead of starting a task
 * that would fail.
 */
export async function refuseWhileDatasetBusy(deps: ResolvedDeps, datasetId: string, starting?: string): Promise<void> {
  const holder = await liveWriter(deps.database.sql, datasetId, temporalWriterIsLive(deps.temporal));
  if (holder && holder.taskId !== starting) throw datasetBusyConflict(datasetId, holder);
}

export function datasetBusyConflict(datasetId: string, holder: DatasetWriter): ApiError {
  const { message, hint } = busyExplanation(datasetId, holder);
  return conflict('DatasetBusy', message, hint);
}

export interface TaskRow {
  id: string;
  ownerId: string;
  datasetId: string | null;
  kind: string;
  workflowType: string;
  createdAt: Date;
}

export async function startTask(
  deps: ResolvedDeps,
  args: { kind: TaskKind; datasetId: string; ownerId: string; workflowId: string; input: Record<string, unknown> },
) {
  const { config, temporal, database } = deps;
  const workflowType = WORKFLOW_TYPES[args.kind];
  // The same workflow already running (a second build of a dataset) is answered below as task_already_running.
  if (WRITING_KINDS.has(args.kind)) await refuseWhileDatasetBusy(deps, args.datasetId, args.workflowId);
  try {
    await temporal.workflow.start(workflowType, {
      taskQueue: config.temporal.task_queue,
      workflowId: args.workflowId,
      args: [args.input],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw conflict(
        'task_already_running',
        `Task "${args.workflowId}" is already running for dataset "${args.datasetId}"`,
        `Follow it with GET /v1/tasks/${args.workflowId}, change it with PATCH, or cancel it with POST /v1/tasks/${args.workflowId}/cancel.`,
      );
    }
    throw err;
  }
  // A build's workflow id is per dataset, so a new build of the same dataset reuses (and refreshes) its row.
  await database.db
    .insert(tasks)
    .values({ id: args.workflowId, ownerId: args.ownerId, datasetId: args.datasetId, kind: args.kind, workflowType })
    .onConflictDoUpdate({ target: tasks.id, set: { kind: args.kind, workflowType, createdAt: sql`now()` } });
  return {
    taskId: args.workflowId,
    kind: args.kind,
    datasetId: args.datasetId,
    status: 'running',
    temporalUiUrl: workflowUiUrl(config, args.workflowId),
  };
}

export interface TaskView {
  taskId: string;
  kind: string;
  datasetId: string | null;
  workflowType: string;
  status: string;
  createdAt: string;
  startedAt: string | null;
  closedAt: string | null;
  progress?: unknown;
  result?: unknown;
  error?: { code: string; message: string; hint: string | null };
  temporalUiUrl: string;
}

/** The workflow's status name, lowercased (`running`, `completed`, …), or `unknown` when Temporal has no record. */
export async function workflowStatus(deps: ResolvedDeps, workflowId: string): Promise<{ status: string; startedAt: Date | null; closedAt: Date | null }> {
  try {
    const d = await deps.temporal.workflow.getHandle(workflowId).describe();
    return { status: d.status.name.toLowerCase(), startedAt: d.startTime, closedAt: d.closeTime ?? null };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'unknown', startedAt: null, closedAt: null };
    throw err;
  }
}

export async function isWorkflowRunning(deps: ResolvedDeps, workflowId: string): Promise<boolean> {
  return (await workflowStatus(deps, workflowId)).status === 'running';
}

/** A task as the API shows it: its row, the workflow's status, and its progress, result or error. */
export async function describeTask(deps: ResolvedDeps, row: TaskRow, opts: { details: boolean }): Promise<TaskView> {
  const { status, startedAt, closedAt } = await workflowStatus(deps, row.id);
  const view: TaskView = {
    taskId: row.id,
    kind: row.kind,
    datasetId: row.datasetId,
    workflowType: row.workflowType,
    status,
    createdAt: iso(row.createdAt)!,
    startedAt: iso(startedAt),
    closedAt: iso(closedAt),
    temporalUiUrl: workflowUiUrl(deps.config, row.id),
  };
  if (!opts.details) return view;
  const handle = deps.temporal.workflow.getHandle(row.id);
  if (status === 'running') {
    view.progress = (await queryProgress(deps, row.id)) ?? (await storedBuildProgress(deps, row.id));
  } else if (status === 'completed') {
    view.result = await handle.result();
    const stored = await storedBuildProgress(deps, row.id);
    if (stored) view.progress = stored;
  } else if (status !== 'unknown') {
    view.error = await closedTaskError(handle, status);
    const stored = await storedBuildProgress(deps, row.id);
    if (stored) view.progress = stored;
  }
  return view;
}

/** The `progress` query, or undefined when the workflow cannot answer (no worker, no such query, mid-replay). */
async function queryProgress(deps: ResolvedDeps, workflowId: string): Promise<unknown> {
  try {
    return await deps.temporal.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      deps.temporal.workflow.getHandle(workflowId).query('progress'),
    );
  } catch {
    return undefined;
  }
}

/** Builds mirror their progress to PostgreSQL, so it is known even when the workflow cannot be queried. */
async function storedBuildProgress(deps: ResolvedDeps, workflowId: string): Promise<unknown> {
  const [row] = await deps.database.db
    .select({ progress: buildProgress.progress })
    .from(buildProgress)
    .where(eq(buildProgress.workflowId, workflowId));
  return row?.progress;
}

async function closedTaskError(
  handle: ReturnType<ResolvedDeps['temporal']['workflow']['getHandle']>,
  status: string,
): Promise<TaskView['error']> {
  try {
    await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = innermostFailure(err.cause);
      const details = (cause as { details?: unknown[] } | undefined)?.details;
      const hint = Array.isArray(details) && details[0] && typeof details[0] === 'object' && 'hint' in details[0] ? String((details[0] as { hint: unknown }).hint) : null;
      return {
        code: (cause as { type?: string } | undefined)?.type ?? status,
        message: cause?.message ?? err.message,
        hint,
      };
    }
    return { code: status, message: (err as Error).message, hint: null };
  }
  return { code: status, message: `The task ended with status ${status}`, hint: null };
}

function innermostFailure(err: Error | undefined): Error | undefined {
  let current = err;
  // ActivityFailure / ChildWorkflowFailure wrap the failure that says what went wrong.
  while (current && (current.name === 'ActivityFailure' || current.name === 'ChildWorkflowFailure') && current.cause instanceof Error) {
    current = current.cause;
  }
  return current;
}

const workerHint = (deps: ResolvedDeps) =>
  `Check that a datacreek worker runs on task queue "${deps.config.temporal.task_queue}" (datacreek worker), then retry.`;

export async function signalTask(deps: ResolvedDeps, workflowId: string, signal: 'pause' | 'resume'): Promise<void> {
  await deps.temporal.workflow.getHandle(workflowId).signal(signal);
}

export async function cancelTask(deps: ResolvedDeps, workflowId: string): Promise<void> {
  await deps.temporal.workflow.getHandle(workflowId).cancel();
}

/** Runs a workflow update; the workflow's refusal (e.g. a target below the accepted count) becomes a 409. */
export async function updateTask(deps: ResolvedDeps, workflowId: string, update: 'setTarget' | 'setConcurrency', arg: object): Promise<unknown> {
  try {
    return await deps.temporal.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
      deps.temporal.workflow.getHandle(workflowId).executeUpdate(update, { args: [arg] }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      throw conflict('update_rejected', `The task refused ${update}: ${cause?.message ?? err.message}`, 'Read the task\'s progress (GET /v1/tasks/{id}) and send a value it can accept.');
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) {
      throw new ApiError(504, 'workflow_unresponsive', `The task did not answer ${update} within ${UPDATE_DEADLINE_MS / 1000} s`, workerHint(deps));
    }
    throw err;
  }
}
