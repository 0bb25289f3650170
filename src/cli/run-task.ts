// Starting a one-shot dataset workflow (curate, export) and waiting for its result, with the activity's own
// message and hint when it fails.
import type { Command } from 'commander';
import type { z } from 'zod';
import type { WorkflowInput, WorkflowResult, WorkflowType } from '../client';
import type { DatacreekConfig } from '../infra/config';
import { openTemporal } from './connect';
import { CliError, EXIT, exitCodeOfFailure, globalOptions, print } from './output';

export interface TaskStart<T extends WorkflowType> {
  workflowType: T;
  workflowId: string;
  input: WorkflowInput<T>;
}

export type TaskOutcome<R> = { detached: true; workflowId: string; url: string } | { detached: false; workflowId: string; url: string; result: R };

/** The task's workflow input as its schema reads it; a refused value is a usage error naming every bad field. */
export function parseTaskInput<S extends z.ZodTypeAny>(schema: S, value: unknown, task: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new CliError(`invalid ${task} options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, EXIT.usage);
  }
  return parsed.data;
}

/** What a task started with --detach prints: how to follow it and where its history is. */
export function printDetached(cmd: Command, started: { workflowId: string; url: string }): void {
  const { workflowId, url } = started;
  print(cmd, `started ${workflowId}\nfollow: datacreek status ${workflowId} --follow\nhistory: ${url}`, { workflowId, status: 'running', url });
}

export async function runTask<T extends WorkflowType>(
  cmd: Command,
  config: DatacreekConfig,
  task: TaskStart<T>,
  opts: { detach: boolean },
): Promise<TaskOutcome<WorkflowResult<T>>> {
  const { describeWorkflowFailure, startWorkflow, workflowUiUrl } = await import('../client');
  const url = workflowUiUrl(config, task.workflowId);
  const client = await openTemporal(config);
  try {
    const handle = await startWorkflow(client, config, task.workflowType, task.workflowId, task.input);
    if (opts.detach) return { detached: true, workflowId: task.workflowId, url };
    if (!globalOptions(cmd).json) console.error(`started ${task.workflowId}; waiting for it to end (Ctrl-C stops waiting, not the task)`);
    const stalled = warnWhenStalled(client, task.workflowId, task.workflowType, config.temporal.task_queue);
    try {
      const result = (await handle.result()) as WorkflowResult<T>;
      return { detached: false, workflowId: task.workflowId, url, result };
    } catch (err) {
      const failure = describeWorkflowFailure(err);
      throw new CliError(`${task.workflowId} failed: ${failure.message}`, exitCodeOfFailure(failure.code), failure.hint ?? `Read its history: ${url}`);
    } finally {
      clearInterval(stalled);
    }
  } finally {
    await client.connection.close().catch(() => {});
  }
}

/**
 * A workflow task that keeps failing (e.g. a worker that does not know this workflow type yet) never ends the
 * workflow: say so instead of waiting in silence.
 */
function warnWhenStalled(client: Awaited<ReturnType<typeof openTemporal>>, workflowId: string, workflowType: string, taskQueue: string) {
  let warned = false;
  const timer = setInterval(() => {
    if (warned) return;
    client.workflow
      .getHandle(workflowId)
      .describe()
      .then((d) => {
        const attempt = d.raw.pendingWorkflowTask?.attempt ?? 0;
        if (attempt >= 3 && !warned) {
          warned = true;
          console.error(
            `warning: ${workflowId}'s workflow task has failed ${attempt - 1} times; does the worker on task queue "${taskQueue}" know the workflow type "${workflowType}"? (see its history in the Web UI)`,
          );
        }
      })
      .catch(() => {});
  }, 5_000);
  timer.unref();
  return timer;
}
