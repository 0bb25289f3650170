// Finding a workflow the person named (a task id, or a dataset id meaning its build), reading its progress and
// turning its failure into the message and hint the activity gave. Loaded on demand by the commands that talk to
// Temporal.
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import type { BuildProgress } from '../workflows/build-input';
import { buildWorkflowId } from '../workflows/ids';
import { CliError, EXIT } from './output';

export interface NamedWorkflow {
  workflowId: string;
  handle: WorkflowHandle;
  description: WorkflowExecutionDescription;
}

/** `running`, `completed`, `failed`, `cancelled`, `terminated`, `timed_out`, `continued_as_new`. */
export const statusOf = (d: WorkflowExecutionDescription) => d.status.name.toLowerCase();

/** The id as given, else `build-<id>` (a dataset id names its build); exit 4 when neither exists. */
export async function findWorkflow(client: Client, id: string): Promise<NamedWorkflow> {
  const candidates = id.startsWith('build-') ? [id] : [id, buildWorkflowId(id)];
  for (const workflowId of candidates) {
    const handle = client.workflow.getHandle(workflowId);
    try {
      return { workflowId, handle, description: await handle.describe() };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  throw new CliError(
    `no task or build named "${id}"`,
    EXIT.notFound,
    'Give a task id (as printed when it started) or a dataset id; list datasets with `datacreek datasets list`.',
  );
}

/** Live controls only make sense on a running build. */
export function requireRunningBuild(workflow: NamedWorkflow, action: string): void {
  // Pipeline runs take the same pause and resume signals as builds.
  if (workflow.description.type !== 'buildDataset' && workflow.description.type !== 'runPipeline') {
    throw new CliError(
      `${workflow.workflowId} is a ${workflow.description.type} workflow; only builds and pipeline runs can ${action}`,
      EXIT.usage,
      'Name a dataset (its build), a build-<dataset> id or a pipeline-… run id.',
    );
  }
  const status = statusOf(workflow.description);
  if (status !== 'running') {
    throw new CliError(
      `build ${workflow.workflowId} is ${status}; it cannot ${action}`,
      EXIT.failure,
      `Start a new build with \`datacreek build --dataset ${workflow.workflowId.replace(/^build-/, '')} --target N\`.`,
    );
  }
}

/** The `progress` query, or undefined when nobody answers in time (no worker polling, or not a build). */
export async function queryProgress(client: Client, workflowId: string, timeoutMs = 3_000): Promise<BuildProgress | undefined> {
  try {
    return await client.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(workflowId).query<BuildProgress>('progress'));
  } catch {
    return undefined;
  }
}

export interface FailureView {
  code: string;
  message: string;
  hint?: string;
}

/** The innermost ApplicationFailure's message, type and hint (activities put `{ hint }` in the details). */
export function describeWorkflowFailure(err: unknown): FailureView {
  let current: any = err instanceof WorkflowFailedError ? (err.cause ?? err) : err;
  while (current?.cause && (current.name === 'ActivityFailure' || current.name === 'ChildWorkflowFailure')) current = current.cause;
  const details = Array.isArray(current?.details) ? current.details[0] : undefined;
  return {
    code: current?.type ?? current?.name ?? 'Error',
    message: current?.message ?? String(err),
    hint: details && typeof details === 'object' && 'hint' in details ? String(details.hint) : undefined,
  };
}

/** True when a workflow ended because it was cancelled. */
export function isCancelled(err: unknown): boolean {
  return err instanceof WorkflowFailedError && (err.cause?.name === 'CancelledFailure' || /cancel/i.test(err.message));
}
