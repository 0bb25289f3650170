// The workflows the API and the CLI start, typed by the worker's own exports. The names are checked against
// `src/workflows/index.ts` at compile time (a renamed workflow function breaks the build, not a run), and the
// imports are type-only, so no workflow code is loaded outside the worker.
import type { Client, WorkflowExecutionDescription, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import type { DatacreekConfig } from '../infra/config';
import type * as workflows from '../workflows';

type Workflows = typeof workflows;
/** A workflow type the worker registers: the name of a function exported by src/workflows/index.ts. */
export type WorkflowType = keyof Workflows;
export type WorkflowInput<T extends WorkflowType> = Parameters<Workflows[T]>[0];
export type WorkflowResult<T extends WorkflowType> = Awaited<ReturnType<Workflows[T]>>;

/** The build's and pipeline's live controls, defined beside the workflows that handle them. */
export { pauseSignal, progressQuery, resumeSignal, setConcurrencyUpdate, setTargetUpdate } from '../workflows/messages';

/** Each kind of task a user starts, and the workflow that runs it (a generate is a build without scoring). */
export const TASK_WORKFLOW_TYPES = {
  ingest: 'ingestWorkflow',
  build: 'buildDataset',
  generate: 'buildDataset',
  curate: 'curateDataset',
  save: 'exportDataset',
  pipeline: 'runPipeline',
} as const satisfies Record<string, WorkflowType>;

export type TaskKind = keyof typeof TASK_WORKFLOW_TYPES;

/**
 * Starts a workflow on the configured task queue, with its input as the single argument. `options.conflict`
 * `USE_EXISTING` attaches to a run of the same id that is still going instead of failing.
 */
export function startWorkflow<T extends WorkflowType>(
  client: Client,
  config: DatacreekConfig,
  type: T,
  workflowId: string,
  input: WorkflowInput<T>,
  options: { conflict?: WorkflowStartOptions['workflowIdConflictPolicy'] } = {},
): Promise<WorkflowHandle<Workflows[T]>> {
  return client.workflow.start<Workflows[T]>(type, {
    taskQueue: config.temporal.task_queue,
    workflowId,
    args: [input] as Parameters<Workflows[T]>,
    ...(options.conflict ? { workflowIdConflictPolicy: options.conflict } : {}),
  });
}

/** A handle whose result is typed as the workflow's own. */
export function workflowHandle<T extends WorkflowType>(client: Client, workflowId: string): WorkflowHandle<Workflows[T]> {
  return client.workflow.getHandle<Workflows[T]>(workflowId);
}

export const isBuildWorkflow = (description: WorkflowExecutionDescription) => description.type === TASK_WORKFLOW_TYPES.build;

/** Builds and pipeline runs take the pause, resume and progress controls. */
export const takesBuildControls = (description: WorkflowExecutionDescription) =>
  description.type === TASK_WORKFLOW_TYPES.build || description.type === TASK_WORKFLOW_TYPES.pipeline;

/** `running`, `completed`, `failed`, `cancelled`, `terminated`, `timed_out`, `continued_as_new`. */
export const statusOf = (description: WorkflowExecutionDescription) => description.status.name.toLowerCase();
