// Running work, by task id or dataset id: `status [--follow]`, and the build's live controls `pause`, `resume`,
// `set-target`, `set-concurrency`, plus `cancel` for any task. The same controls as the Web UI and
// `temporal workflow signal|update`, by the same names.
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { BuildProgress } from '../../workflows/build-input';
import { withTemporal } from '../connect';
import { positiveInt } from '../options';
import { CliError, configFor, EXIT, globalOptions, print, table } from '../output';

/** How long `cancel` waits for the task to close (a build finalizes its records first). */
const CANCEL_WAIT_MS = 30_000;

/** The build's live signals, one command each. */
const LIVE_CONTROLS = [
  {
    command: 'pause',
    verb: 'be paused',
    done: 'paused',
    effect: 'batches in flight finish; no new ones start',
    next: (datasetId: string) => `resume: datacreek resume ${datasetId}`,
    send: async (client: Client, workflowId: string) => (await import('../../client')).pauseTask(client, workflowId),
  },
  {
    command: 'resume',
    verb: 'be resumed',
    done: 'resumed',
    effect: 'new batches start again',
    next: (datasetId: string) => `follow: datacreek status ${datasetId} --follow`,
    send: async (client: Client, workflowId: string) => (await import('../../client')).resumeTask(client, workflowId),
  },
] as const;

const ID_HELP = 'a task id (e.g. build-mydocs, ingest-mydocs-…) or a dataset id (= its build)';

export function registerTaskCommands(program: Command): void {
  program
    .command('status')
    .description('show a task: its state and progress while it runs, its result or failure once it ended')
    .argument('<id>', ID_HELP)
    .option('-f, --follow', 'follow it until it ends (a build with a progress bar; Ctrl-C detaches)')
    .action(async (id: string, opts: { follow?: boolean }, cmd: Command) => {
      const config = configFor(cmd);
      await withTemporal(config, (client) => showStatus(cmd, client, id, Boolean(opts.follow)));
    });

  for (const control of LIVE_CONTROLS) {
    program
      .command(control.command)
      .description(`${control.command} a running build (${control.effect})`)
      .argument('<id>', ID_HELP)
      .action(async (id: string, _opts, cmd: Command) => {
        const config = configFor(cmd);
        await withTemporal(config, async (client) => {
          const { findWorkflow, requireRunningBuild } = await import('../workflows');
          const { datasetOfBuild } = await import('../../client');
          const workflow = await findWorkflow(client, id);
          requireRunningBuild(workflow, control.verb);
          await control.send(client, workflow.workflowId);
          const datasetId = datasetOfBuild(workflow.workflowId) ?? workflow.workflowId;
          print(cmd, `${control.done} ${workflow.workflowId}: ${control.effect}\n${control.next(datasetId)}`, {
            workflowId: workflow.workflowId,
            signal: control.command,
          });
        });
      });
  }

  program
    .command('set-target')
    .description('change the number of records a running build ends with (not below what it already accepted)')
    .argument('<id>', ID_HELP)
    .argument('<target>', 'the new target', positiveInt)
    .action(async (id: string, target: number, _opts, cmd: Command) => {
      await runUpdate(cmd, id, 'be retargeted', { target });
    });

  program
    .command('set-concurrency')
    .description('change how many batches a running build keeps in flight (1-64)')
    .argument('<id>', ID_HELP)
    .argument('<n>', 'batches in flight', positiveInt)
    .action(async (id: string, concurrency: number, _opts, cmd: Command) => {
      await runUpdate(cmd, id, 'change its concurrency', { concurrency });
    });

  program
    .command('cancel')
    .description('cancel a running task; a build keeps the records it already accepted')
    .argument('<id>', ID_HELP)
    .action(async (id: string, _opts, cmd: Command) => {
      const config = configFor(cmd);
      await withTemporal(config, async (client) => {
        const { findWorkflow } = await import('../workflows');
        const { cancelTask, isBuildWorkflow, statusOf } = await import('../../client');
        const workflow = await findWorkflow(client, id);
        const status = statusOf(workflow.description);
        if (status !== 'running') {
          throw new CliError(
            `${workflow.workflowId} is ${status}; there is nothing to cancel`,
            EXIT.failure,
            `See it with \`datacreek status ${workflow.workflowId}\`.`,
          );
        }
        await cancelTask(client, workflow.workflowId);
        const closed = await waitUntilClosed(client, workflow.workflowId, CANCEL_WAIT_MS);
        const final = closed ?? 'running';
        const message =
          final === 'running'
            ? `cancellation of ${workflow.workflowId} requested; it stops once a worker picks it up (datacreek status ${workflow.workflowId})`
            : `${workflow.workflowId}: ${final}${isBuildWorkflow(workflow.description) ? ' (accepted records are kept)' : ''}`;
        print(cmd, message, { workflowId: workflow.workflowId, status: final });
      });
    });
}

/** The build's live updates: refusals and silence become UpdateRejectedError / WorkflowUnresponsiveError (exit 2 / 1). */
async function runUpdate(cmd: Command, id: string, action: string, change: { target: number } | { concurrency: number }): Promise<void> {
  const config = configFor(cmd);
  await withTemporal(config, async (client) => {
    const { findWorkflow, requireRunningBuild } = await import('../workflows');
    const { progressLine } = await import('../build-progress');
    const { setBuildConcurrency, setBuildTarget } = await import('../../client');
    const workflow = await findWorkflow(client, id);
    requireRunningBuild(workflow, action);
    const services = { config, temporal: client };
    const progress =
      'target' in change
        ? await setBuildTarget(services, workflow.workflowId, change.target)
        : await setBuildConcurrency(services, workflow.workflowId, change.concurrency);
    print(cmd, `${workflow.workflowId}: ${progressLine(progress)} (concurrency ${progress.concurrency})`, { workflowId: workflow.workflowId, progress });
  });
}

async function showStatus(cmd: Command, client: Client, id: string, follow: boolean): Promise<void> {
  const { findWorkflow } = await import('../workflows');
  const { datasetOfBuild, describeWorkflowFailure, isBuildWorkflow, queryProgress, statusOf, workflowUiUrl } = await import('../../client');
  const config = configFor(cmd);
  let workflow = await findWorkflow(client, id);
  const url = workflowUiUrl(config, workflow.workflowId);
  const isBuild = isBuildWorkflow(workflow.description);

  if (follow && statusOf(workflow.description) === 'running') {
    if (isBuild) {
      const { reportFollowedBuild } = await import('../build-report');
      process.exitCode = await reportFollowedBuild(cmd, client, {
        workflowId: workflow.workflowId,
        datasetId: datasetOfBuild(workflow.workflowId) ?? workflow.workflowId,
        url,
        taskQueue: workflow.description.taskQueue,
        startedAt: workflow.description.startTime.getTime(),
      });
      return;
    }
    if (!globalOptions(cmd).json) console.error(`waiting for ${workflow.workflowId} (${workflow.description.type}) to end …`);
    await workflow.handle.result().catch(() => {});
    workflow = await findWorkflow(client, workflow.workflowId);
  }

  const d = workflow.description;
  const status = statusOf(d);
  const view: Record<string, unknown> = {
    workflowId: workflow.workflowId,
    type: d.type,
    status,
    taskQueue: d.taskQueue,
    startedAt: d.startTime.toISOString(),
    closedAt: d.closeTime?.toISOString() ?? null,
    historyLength: d.historyLength,
    url,
  };
  if (status === 'running') {
    view.progress = (await queryProgress(client, workflow.workflowId)) ?? null;
  } else if (status === 'completed') {
    view.result = await workflow.handle.result();
  } else {
    await workflow.handle.result().then(
      () => {},
      (err) => {
        view.error = describeWorkflowFailure(err);
      },
    );
    // A closed build still answers `progress` while a worker polls its queue: the counts it stopped at.
    if (isBuild) view.progress = (await queryProgress(client, workflow.workflowId)) ?? null;
  }
  print(cmd, await humanStatus(view, isBuild), view);
  if (follow && status !== 'completed') process.exitCode = EXIT.failure;
}

async function humanStatus(view: Record<string, unknown>, isBuild: boolean): Promise<string> {
  const { buildSummary, progressLine } = await import('../build-progress');
  const rows: Record<string, unknown>[] = [
    { field: 'task', value: view.workflowId },
    { field: 'type', value: view.type },
    { field: 'status', value: view.status },
    { field: 'started', value: view.startedAt },
  ];
  if (view.closedAt) rows.push({ field: 'closed', value: view.closedAt });
  const progress = view.progress as BuildProgress | null | undefined;
  if (progress && view.status === 'running') rows.push({ field: 'progress', value: progressLine(progress) });
  else if (view.status === 'running' && isBuild) rows.push({ field: 'progress', value: '(no answer: is a worker polling the task queue?)' });
  const error = view.error as { code: string; message: string; hint?: string } | undefined;
  if (error) {
    rows.push({ field: 'error', value: `${error.code}: ${error.message}` });
    if (error.hint) rows.push({ field: 'hint', value: error.hint });
  }
  rows.push({ field: 'history', value: view.url });
  let text = table(rows, ['field', 'value']).split('\n').slice(1).join('\n');
  if (view.result !== undefined) {
    text += `\n\n${isBuild ? buildSummary(view.result as BuildProgress) : describeResult(view.result)}`;
  } else if (progress && view.status !== 'running') {
    text += `\n\n${buildSummary(progress)}`;
  }
  return text;
}

/** Ingest and export results say what matters in a line or a table; anything else is shown as JSON. */
function describeResult(result: unknown): string {
  const r = result as Record<string, any>;
  if (r?.totals && Array.isArray(r.files)) {
    const t = r.totals;
    return `${t.ingested} ingested, ${t.unchanged} unchanged, ${t.failed} failed, ${t.skipped} skipped; ${t.chunks} chunks, ${t.seedRecords} seed records`;
  }
  if (r && Array.isArray(r.files) && typeof r.recordCount === 'number') {
    return `${r.recordCount} records as ${r.format}:\n${table(r.files, ['split', 'records', 'bytes', 'path'])}`;
  }
  return JSON.stringify(result, null, 2);
}

/** The closed status, or undefined if the workflow still runs after `timeoutMs`. */
async function waitUntilClosed(client: Client, workflowId: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  const handle = client.workflow.getHandle(workflowId);
  while (Date.now() < deadline) {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') return d.status.name.toLowerCase();
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}
