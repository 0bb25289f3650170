// One writer per dataset. A build, a curation (with its augmentation), an ingest and a deletion each change a
// dataset's records in several steps; two of them interleaved could accept past the target, renumber records
// under an acceptance or delete what another is writing. So each takes the dataset's writer lease (columns on the
// datasets row) in its first activity and gives it back in its last; anyone else is refused with `DatasetBusy`,
// naming the holder. The lease lives in PostgreSQL, so it holds however the workflow was started (API, CLI,
// `temporal workflow start`). A holder whose workflow run has closed (crashed worker, terminated workflow, a
// failure path that never reached its release) is stale and is taken over.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sql, TransactionSql } from 'postgres';
import { badInput } from './errors';

export type WriterKind = 'build' | 'curate' | 'ingest' | 'delete';

export interface DatasetWriter {
  /** The workflow id of the task (a deletion's own id when it is not a workflow). */
  taskId: string;
  /** The workflow's first run id (stable across continue-as-new); null for a deletion, which is not a workflow. */
  runId: string | null;
  kind: WriterKind;
  since: Date;
}

/** Whether a lease holder is still at work; a holder that is not is taken over. */
export type WriterIsLive = (writer: DatasetWriter) => Promise<boolean>;

/**
 * A holder is live while its workflow's latest run is open and belongs to the same workflow execution chain (a
 * new build under the same workflow id is another holder). A deletion holds the dataset row's lock for its whole
 * length instead of a workflow, so a deletion's lease is never live once the lock could be taken.
 */
export function temporalWriterIsLive(client: Client): WriterIsLive {
  return async (writer) => {
    if (writer.kind === 'delete' || !writer.runId) return false;
    try {
      const described = await client.workflow.getHandle(writer.taskId).describe();
      const firstRunId = described.raw.workflowExecutionInfo?.firstRunId;
      const sameChain = firstRunId === writer.runId || described.runId === writer.runId;
      return sameChain && described.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  };
}

const KIND_NAMES: Record<WriterKind, string> = { build: 'a build', curate: 'a curation', ingest: 'an ingest', delete: 'a deletion' };

/** The words every refusal uses (activity failure, HTTP 409, CLI), so a person sees the same thing everywhere. */
export function busyExplanation(datasetId: string, holder: DatasetWriter): { message: string; hint: string } {
  return {
    message:
      `dataset "${datasetId}" is busy: ${KIND_NAMES[holder.kind]} (task ${holder.taskId}) has been writing it ` +
      `since ${holder.since.toISOString()}; only one task writes a dataset at a time`,
    hint:
      holder.kind === 'delete'
        ? 'The dataset is being deleted; wait for that to finish.'
        : `Wait for ${holder.taskId} to finish, or cancel it (datacreek cancel ${holder.taskId}), then try again.`,
  };
}

/** The non-retryable failure a refused activity ends with: retrying would only wait, and waiting is the caller's choice. */
export function datasetBusy(datasetId: string, holder: DatasetWriter): ApplicationFailure {
  const { message, hint } = busyExplanation(datasetId, holder);
  return ApplicationFailure.create({
    type: 'DatasetBusy',
    message,
    nonRetryable: true,
    details: [{ hint, holder: { ...holder, since: holder.since.toISOString() } }],
  });
}

type WriterRow = { writer_task_id: string | null; writer_run_id: string | null; writer_kind: string | null; writer_since: Date | null };

function writerOf(row: WriterRow): DatasetWriter | undefined {
  if (!row.writer_task_id) return undefined;
  return { taskId: row.writer_task_id, runId: row.writer_run_id, kind: row.writer_kind as WriterKind, since: row.writer_since ?? new Date(0) };
}

/** The dataset's live writer, if any (a stale lease counts as none). Undefined too when the dataset does not exist. */
export async function liveWriter(sql: Sql | TransactionSql, datasetId: string, isLive: WriterIsLive): Promise<DatasetWriter | undefined> {
  const [row] = await sql<WriterRow[]>`
    select writer_task_id, writer_run_id, writer_kind, writer_since from datasets where id = ${datasetId}`;
  const holder = row && writerOf(row);
  return holder && (await isLive(holder)) ? holder : undefined;
}

/**
 * Takes the dataset's writer lease for a task, or fails with `DatasetBusy` naming the live holder. Idempotent for
 * the same task and run (a retried activity, a replayed workflow), and it takes over a stale lease.
 */
export async function claimDatasetWriter(
  sql: Sql,
  claim: { datasetId: string; taskId: string; runId: string; kind: WriterKind },
  isLive: WriterIsLive,
): Promise<void> {
  await sql.begin(async (tx) => {
    const [row] = await tx<WriterRow[]>`
      select writer_task_id, writer_run_id, writer_kind, writer_since from datasets where id = ${claim.datasetId} for update`;
    if (!row) throw badInput('NotFound', `dataset "${claim.datasetId}" does not exist`, 'Check the id (datacreek datasets list).');
    const holder = writerOf(row);
    const mine = holder && holder.taskId === claim.taskId && holder.runId === claim.runId;
    if (mine) return;
    if (holder && (await isLive(holder))) throw datasetBusy(claim.datasetId, holder);
    await tx`update datasets set writer_task_id = ${claim.taskId}, writer_run_id = ${claim.runId}, writer_kind = ${claim.kind},
      writer_since = now() where id = ${claim.datasetId}`;
  });
}

/** Gives the lease back, if this task still holds it (a taken-over stale holder must not release its successor). */
export async function releaseDatasetWriter(sql: Sql | TransactionSql, release: { datasetId: string; taskId: string; runId: string }): Promise<void> {
  await sql`update datasets set writer_task_id = null, writer_run_id = null, writer_kind = null, writer_since = null
    where id = ${release.datasetId} and writer_task_id = ${release.taskId} and writer_run_id = ${release.runId}`;
}

/**
 * The activity-side lease: the task is the running workflow, named by its first run id (stable across
 * continue-as-new; a workflow may pass it as `runKey`, else it is read from Temporal), and liveness is asked of the
 * worker's own Temporal client.
 */
export function activityWriterLease(sql: Sql) {
  async function task(runKey?: string) {
    const ctx = Context.current();
    const execution = ctx.info.workflowExecution;
    if (!execution) throw new Error('the dataset writer lease is taken by workflow activities only');
    const { workflowId, runId } = execution;
    const firstRunId = runKey ?? (await ctx.client.workflow.getHandle(workflowId, runId).describe()).raw.workflowExecutionInfo?.firstRunId ?? runId;
    return { client: ctx.client, taskId: workflowId, runId: firstRunId };
  }
  return {
    async claim(datasetId: string, kind: WriterKind, runKey?: string): Promise<void> {
      const { client, taskId, runId } = await task(runKey);
      await claimDatasetWriter(sql, { datasetId, taskId, runId, kind }, temporalWriterIsLive(client));
    },
    async release(datasetId: string, runKey?: string): Promise<void> {
      const { taskId, runId } = await task(runKey);
      await releaseDatasetWriter(sql, { datasetId, taskId, runId });
    },
  };
}
