// Tasks are Temporal workflows started for a user: starting them (and recording the `tasks` row that makes them
// the user's), reading their state back, and sending them live controls through the workflows' typed
// definitions.
import {
  isGrpcDeadlineError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { and, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import pLimit from 'p-limit';
import { busyExplanation, liveWriter, temporalWriterIsLive, type DatasetWriter } from '../activities';
import type { DatacreekConfig } from '../infra/config';
import type { Database } from '../infra/db';
import { buildProgress, tasks } from '../infra/db';
import type { BuildProgress } from '../workflows/build-input';
import { DatasetBusyError, NotFoundError, TaskAlreadyRunningError, UpdateRejectedError, WorkflowUnresponsiveError } from './errors';
import { describeWorkflowFailure } from './failures';
import { workflowIdCandidates } from './ids';
import { workflowUiUrl } from './temporal';
import {
  pauseSignal,
  progressQuery,
  resumeSignal,
  setConcurrencyUpdate,
  setTargetUpdate,
  startWorkflow,
  statusOf,
  TASK_WORKFLOW_TYPES,
  type WorkflowInput,
} from './workflows';

/** The servers an operation talks to. */
export interface Services {
  config: DatacreekConfig;
  database: Database;
  temporal: Client;
}

/** How long a progress query may wait for a worker before it counts as unanswered. */
const QUERY_DEADLINE_MS = 3_000;
/** How long an update may wait for a worker before it fails as unresponsive. */
const UPDATE_DEADLINE_MS = 15_000;

/** The task kinds a user starts through startTask (a pipeline run has its own start). */
export type StartableKind = Exclude<keyof typeof TASK_WORKFLOW_TYPES, 'pipeline'>;

/** The task kinds that write a dataset and so take its writer lease (an export only reads a snapshot). */
const WRITING_KINDS = new Set<StartableKind>(['ingest', 'build', 'generate', 'curate']);

/**
 * DatasetBusyError when another task holds the dataset's writer lease. The workflow's first activity checks again
 * (and alone decides, for workflows started by other means); this answers at once instead of starting a task that
 * would fail.
 */
export async function refuseWhileDatasetBusy(services: Pick<Services, 'database' | 'temporal'>, datasetId: string, starting?: string): Promise<void> {
  const holder = await liveWriter(services.database.sql, datasetId, temporalWriterIsLive(services.temporal));
  if (holder && holder.taskId !== starting) throw leaseHeldError(datasetId, holder);
}

/** DatasetBusyError naming the task that holds the dataset's writer lease and how to wait for it. */
export function leaseHeldError(datasetId: string, holder: DatasetWriter): DatasetBusyError {
  const { message, hint } = busyExplanation(datasetId, holder);
  return new DatasetBusyError(datasetId, message, hint);
}

export interface TaskRow {
  id: string;
  ownerId: string;
  datasetId: string | null;
  kind: string;
  workflowType: string;
  createdAt: Date;
}

export interface StartedTask {
  taskId: string;
  kind: StartableKind;
  datasetId: string;
  status: 'running';
  temporalUiUrl: string;
}

export async function startTask<K extends StartableKind>(
  services: Services,
  args: { kind: K; datasetId: string; ownerId: string; workflowId: string; input: WorkflowInput<(typeof TASK_WORKFLOW_TYPES)[K]> },
): Promise<StartedTask> {
  const { config, temporal, database } = services;
  const workflowType = TASK_WORKFLOW_TYPES[args.kind];
  // The same workflow already running (a second build of a dataset) is answered below as TaskAlreadyRunning.
  if (WRITING_KINDS.has(args.kind)) await refuseWhileDatasetBusy(services, args.datasetId, args.workflowId);
  try {
    await startWorkflow(temporal, config, workflowType, args.workflowId, args.input);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new TaskAlreadyRunningError(args.workflowId, args.datasetId);
    throw err;
  }
  // A build's workflow id is per dataset, so a new build of the same dataset reuses (and refreshes) its row.
  await database.db
    .insert(tasks)
    .values({ id: args.workflowId, ownerId: args.ownerId, datasetId: args.datasetId, kind: args.kind, workflowType })
    .onConflictDoUpdate({ target: tasks.id, set: { kind: args.kind, workflowType, createdAt: sql`now()` } });
  return { taskId: args.workflowId, kind: args.kind, datasetId: args.datasetId, status: 'running', temporalUiUrl: workflowUiUrl(config, args.workflowId) };
}

/** A pipeline run, recorded as the user's task (on no dataset when it reads rows or a taxonomy). */
export async function startPipelineTask(
  services: Services,
  args: { ownerId: string; datasetId: string | null; workflowId: string; input: WorkflowInput<'runPipeline'> },
): Promise<void> {
  await startWorkflow(services.temporal, services.config, TASK_WORKFLOW_TYPES.pipeline, args.workflowId, args.input);
  await services.database.db
    .insert(tasks)
    .values({ id: args.workflowId, ownerId: args.ownerId, datasetId: args.datasetId, kind: 'pipeline', workflowType: TASK_WORKFLOW_TYPES.pipeline })
    .onConflictDoNothing();
}

/** The user's task of this id; NotFoundError for another user's task, as for a missing one. */
export async function requireOwnedTask(database: Database, ownerId: string, id: string): Promise<TaskRow> {
  const [row] = await database.db
    .select()
    .from(tasks)
    .where(and(eq(tasks.id, id), eq(tasks.ownerId, ownerId)));
  if (!row) throw new NotFoundError('task', id);
  return row;
}

/** A page of the user's tasks, newest first, each with its workflow's status. */
export async function listTasks(
  services: Services,
  ownerId: string,
  opts: { limit: number; offset: number; datasetId?: string; kind?: string },
): Promise<{ items: TaskView[]; total: number }> {
  const { database } = services;
  const filters: SQL[] = [eq(tasks.ownerId, ownerId)];
  if (opts.datasetId) filters.push(eq(tasks.datasetId, opts.datasetId));
  if (opts.kind) filters.push(eq(tasks.kind, opts.kind));
  const where = and(...filters);
  const rows = await database.db.select().from(tasks).where(where).orderBy(desc(tasks.createdAt), tasks.id).limit(opts.limit).offset(opts.offset);
  const [{ total }] = await database.db.select({ total: count() }).from(tasks).where(where);
  // One describe() per task, a few at a time: the page stays cheap for Temporal.
  const limitDescribes = pLimit(8);
  const items = await Promise.all(rows.map((row) => limitDescribes(() => describeTask(services, row, { details: false }))));
  return { items, total };
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
export async function workflowStatus(temporal: Client, workflowId: string): Promise<{ status: string; startedAt: Date | null; closedAt: Date | null }> {
  try {
    const d = await temporal.workflow.getHandle(workflowId).describe();
    return { status: statusOf(d), startedAt: d.startTime, closedAt: d.closeTime ?? null };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'unknown', startedAt: null, closedAt: null };
    throw err;
  }
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A task as its owner sees it: its row, the workflow's status, and its progress, result or error. */
export async function describeTask(services: Services, row: TaskRow, opts: { details: boolean }): Promise<TaskView> {
  const { status, startedAt, closedAt } = await workflowStatus(services.temporal, row.id);
  const view: TaskView = {
    taskId: row.id,
    kind: row.kind,
    datasetId: row.datasetId,
    workflowType: row.workflowType,
    status,
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(startedAt),
    closedAt: iso(closedAt),
    temporalUiUrl: workflowUiUrl(services.config, row.id),
  };
  if (!opts.details) return view;
  const handle = services.temporal.workflow.getHandle(row.id);
  if (status === 'running') {
    view.progress = (await queryProgress(services.temporal, row.id)) ?? (await storedBuildProgress(services.database, row.id));
  } else if (status === 'completed') {
    view.result = await handle.result();
    const stored = await storedBuildProgress(services.database, row.id);
    if (stored) view.progress = stored;
  } else if (status !== 'unknown') {
    view.error = await closedTaskError(handle, status);
    const stored = await storedBuildProgress(services.database, row.id);
    if (stored) view.progress = stored;
  }
  return view;
}

/** The `progress` query, or undefined when nobody answers in time (no worker polling, or not a build). */
export async function queryProgress(temporal: Client, workflowId: string, timeoutMs = QUERY_DEADLINE_MS): Promise<BuildProgress | undefined> {
  try {
    return await temporal.withDeadline(Date.now() + timeoutMs, () => temporal.workflow.getHandle(workflowId).query(progressQuery));
  } catch {
    return undefined;
  }
}

/** Builds mirror their progress to PostgreSQL, so it is known even when the workflow cannot be queried. */
async function storedBuildProgress(database: Database, workflowId: string): Promise<unknown> {
  const [row] = await database.db.select({ progress: buildProgress.progress }).from(buildProgress).where(eq(buildProgress.workflowId, workflowId));
  return row?.progress;
}

async function closedTaskError(handle: WorkflowHandle, status: string): Promise<TaskView['error']> {
  try {
    await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const failure = describeWorkflowFailure(err, status);
      return { code: failure.code, message: failure.message, hint: failure.hint ?? null };
    }
    return { code: status, message: (err as Error).message, hint: null };
  }
  return { code: status, message: `The task ended with status ${status}`, hint: null };
}

/** A workflow a person named, with what Temporal knows of it. */
export interface NamedWorkflow {
  workflowId: string;
  handle: WorkflowHandle;
  description: WorkflowExecutionDescription;
}

/** The workflow an id names: the id itself, else (for a dataset id) its build; undefined when neither exists. */
export async function findNamedWorkflow(temporal: Client, id: string): Promise<NamedWorkflow | undefined> {
  for (const workflowId of workflowIdCandidates(id)) {
    const handle = temporal.workflow.getHandle(workflowId);
    try {
      return { workflowId, handle, description: await handle.describe() };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return undefined;
}

export async function pauseTask(temporal: Client, workflowId: string): Promise<void> {
  await temporal.workflow.getHandle(workflowId).signal(pauseSignal);
}

export async function resumeTask(temporal: Client, workflowId: string): Promise<void> {
  await temporal.workflow.getHandle(workflowId).signal(resumeSignal);
}

export async function cancelTask(temporal: Client, workflowId: string): Promise<void> {
  await temporal.workflow.getHandle(workflowId).cancel();
}

/** The build's new target; refused (UpdateRejectedError) below what it already accepted. Returns its progress. */
export function setBuildTarget(services: Pick<Services, 'config' | 'temporal'>, workflowId: string, target: number): Promise<BuildProgress> {
  return runUpdate(services, workflowId, setTargetUpdate.name, (handle) => handle.executeUpdate(setTargetUpdate, { args: [{ target }] }));
}

/** The number of batches the build keeps in flight. Returns its progress. */
export function setBuildConcurrency(services: Pick<Services, 'config' | 'temporal'>, workflowId: string, concurrency: number): Promise<BuildProgress> {
  return runUpdate(services, workflowId, setConcurrencyUpdate.name, (handle) => handle.executeUpdate(setConcurrencyUpdate, { args: [{ concurrency }] }));
}

/** Runs an update with a deadline, so a missing worker is an answer rather than a hang. */
async function runUpdate(
  { config, temporal }: Pick<Services, 'config' | 'temporal'>,
  workflowId: string,
  update: string,
  send: (handle: WorkflowHandle) => Promise<BuildProgress>,
): Promise<BuildProgress> {
  try {
    return await temporal.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () => send(temporal.workflow.getHandle(workflowId)));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new UpdateRejectedError(workflowId, update, err.cause?.message ?? err.message);
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) {
      throw new WorkflowUnresponsiveError(workflowId, update, UPDATE_DEADLINE_MS, config.temporal.task_queue);
    }
    throw err;
  }
}
