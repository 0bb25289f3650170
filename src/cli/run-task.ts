// Starting a one-shot dataset workflow (curate, export) by name and waiting for its result, with the activity's
// own message and hint when it fails. Workflows are addressed by name, so the CLI never imports workflow code.
import type { Command } from 'commander';
import { uniqueSuffix } from '../client';
import type { DatacreekConfig } from '../infra/config';
import { openTemporal } from './connect';
import { CliError, exitCodeOfFailure, globalOptions } from './output';

export interface TaskStart {
  workflowType: string;
  workflowId: string;
  input: Record<string, unknown>;
}

export type TaskOutcome<R> = { detached: true; workflowId: string; url: string } | { detached: false; workflowId: string; url: string; result: R };

/** `<prefix>-<dataset>-<suffix>`: readable in the Web UI. */
export const taskWorkflowId = (prefix: string, datasetId: string) => `${prefix}-${datasetId}-${uniqueSuffix()}`;

export async function runTask<R>(cmd: Command, config: DatacreekConfig, task: TaskStart, opts: { detach: boolean }): Promise<TaskOutcome<R>> {
  const { workflowUiUrl } = await import('../client');
  const { describeWorkflowFailure } = await import('./workflows');
  const url = workflowUiUrl(config, task.workflowId);
  const client = await openTemporal(config);
  try {
    const handle = await client.workflow.start(task.workflowType, {
      taskQueue: config.temporal.task_queue,
      workflowId: task.workflowId,
      args: [task.input],
    });
    if (opts.detach) return { detached: true, workflowId: task.workflowId, url };
    if (!globalOptions(cmd).json) console.error(`started ${task.workflowId}; waiting for it to end (Ctrl-C stops waiting, not the task)`);
    const stalled = warnWhenStalled(client, task.workflowId, task.workflowType, config.temporal.task_queue);
    try {
      const result = (await handle.result()) as R;
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
