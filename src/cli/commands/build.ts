// `datacreek build` (the build loop: exactly --target accepted records) and `datacreek create` (the create
// step: one unscored round of generation). Both start `buildDataset` as `build-<dataset>` and follow it with a
// progress bar until it ends; Ctrl-C detaches and leaves the build running.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { mergeDeep } from '../../infra/common';
import { DATASET_TYPES } from '../../domain/records/types';
import type { BuildInput } from '../../workflows/build-input';
import { buildWorkflowId } from '../../client';
import { openTemporal, requireDataset, withDatabase } from '../connect';
import { datasetId, judgeThreshold, nonNegativeInt, positiveInt } from '../options';
import { CliError, configFor, EXIT, globalOptions, print } from '../output';

const SCORING_MODES = ['judge', 'reward', 'both', 'none'] as const;

/** The create step makes 25 pairs unless told otherwise. */
const DEFAULT_CREATE_COUNT = 25;

/** Which flag set each field of the workflow input, so a refused value is reported by the flag's name. */
const FLAG_OF: Record<string, string> = {
  datasetId: '--dataset',
  target: '--target',
  type: '--type',
  maxRounds: '--max-rounds',
  tokenBudget: '--token-budget',
  concurrency: '--concurrency',
  'scoring.mode': '--scoring',
  'scoring.threshold': '--threshold',
  pipeline: '--pipeline',
};

export function registerBuildCommands(program: Command): void {
  program
    .command('build')
    .description('build a dataset: generate, score, filter and dedupe until exactly --target records are accepted')
    .requiredOption('-d, --dataset <id>', 'the dataset to build (ingest documents into it first)', datasetId)
    .requiredOption('-n, --target <n>', 'accepted records the dataset ends with (counting those it already holds)', positiveInt)
    .option('--fresh', "start over: set the dataset's accepted records aside (kept as superseded) and build --target new ones")
    .addOption(new Option('--type <type>', "record type (default: the dataset's type)").choices(DATASET_TYPES))
    .option('--max-rounds <n>', 'stop after this many passes over the sources (default: generation.max_rounds)', positiveInt)
    .option('--token-budget <n>', 'stop after this many prompt + completion tokens (0 = unlimited)', nonNegativeInt)
    .option('--threshold <score>', 'lowest judge score (1-10) a record may have (default: curate.threshold)', judgeThreshold)
    .addOption(new Option('--scoring <mode>', 'how records are scored (default: curate.scoring)').choices(SCORING_MODES))
    .option('--concurrency <n>', 'batches in flight at once (1-64)', positiveInt)
    .option('--pipeline <file|name>', 'generate with a YAML block pipeline (a file, or a name in configs/pipelines such as qa)')
    .option('--detach', 'start the build and return at once')
    .action(async (opts, cmd: Command) => {
      const scoring = opts.scoring !== undefined || opts.threshold !== undefined ? { mode: opts.scoring, threshold: opts.threshold } : undefined;
      await runBuild(cmd, {
        input: {
          datasetId: opts.dataset,
          target: opts.target,
          fresh: opts.fresh ? true : undefined,
          type: opts.type,
          maxRounds: opts.maxRounds,
          tokenBudget: opts.tokenBudget,
          concurrency: opts.concurrency,
          scoring,
          // A file is sent as its absolute path (the worker reads it); anything else is a name in pipelines.dir.
          pipeline: opts.pipeline && existsSync(opts.pipeline) ? resolve(opts.pipeline) : opts.pipeline,
        },
        detach: Boolean(opts.detach),
        shortIsSuccess: false,
      });
    });

  program
    .command('create')
    .description('generate records without scoring: one round over the sources, up to --num records')
    .requiredOption('-d, --dataset <id>', 'the dataset to generate for (ingest documents into it first)', datasetId)
    .addOption(new Option('--type <type>', "record type (default: the dataset's type)").choices(DATASET_TYPES))
    .option('--num <n>', 'records to create at most', positiveInt, DEFAULT_CREATE_COUNT)
    .option('--detach', 'start the generation and return at once')
    .action(async (opts, cmd: Command) => {
      await runBuild(cmd, {
        input: { datasetId: opts.dataset, target: opts.num, type: opts.type, maxRounds: 1, scoring: { mode: 'none' } },
        detach: Boolean(opts.detach),
        // One round is the whole job: ending after it with fewer than --num records is not a shortfall.
        shortIsSuccess: true,
      });
    });
}

interface BuildRun {
  input: Omit<BuildInput, 'ownerId'>;
  detach: boolean;
  shortIsSuccess: boolean;
}

async function runBuild(cmd: Command, run: BuildRun): Promise<void> {
  const config = configFor(cmd);
  const { json } = globalOptions(cmd);
  const { buildInputSchema } = await import('../../workflows/build-input');
  // The dataset must exist, and the build runs as its owner (a dataset made through the API belongs to a user).
  const dataset = await withDatabase(config, (database) => requireDataset(database, run.input.datasetId));
  const { inputsFromConfigFile, readConfigFile } = await import('../config-file-inputs');
  // A -c file's generation, curation and dedup settings reach the worker as inputs; command options win.
  const fromFile = inputsFromConfigFile('build', readConfigFile(globalOptions(cmd).config), config);
  const parsed = buildInputSchema.safeParse({ ...mergeDeep(fromFile, withoutUndefined(run.input)), ownerId: dataset.ownerId });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${FLAG_OF[i.path.join('.')] ?? i.path.join('.')}: ${i.message}`);
    throw new CliError(`invalid build options: ${problems.join('; ')}`, EXIT.usage, 'See `datacreek build --help` for the allowed values.');
  }
  const input = parsed.data;
  const workflowId = buildWorkflowId(input.datasetId);

  const client = await openTemporal(config);
  try {
    const { WorkflowExecutionAlreadyStartedError } = await import('@temporalio/client');
    const { refuseWhileDatasetBusy, startWorkflow, TASK_WORKFLOW_TYPES, workflowUiUrl } = await import('../../client');
    const url = workflowUiUrl(config, workflowId);
    await withDatabase(config, (database) => refuseWhileDatasetBusy({ database, temporal: client }, input.datasetId, workflowId));
    try {
      await startWorkflow(client, config, TASK_WORKFLOW_TYPES.build, workflowId, input);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new CliError(
          `a build of dataset "${input.datasetId}" is already running (${workflowId})`,
          EXIT.failure,
          `Follow it: datacreek status ${input.datasetId} --follow; retarget it: datacreek set-target ${input.datasetId} N; or stop it: datacreek cancel ${input.datasetId}`,
        );
      }
      throw err;
    }
    if (run.detach) {
      print(cmd, `started ${workflowId}\nfollow: datacreek status ${input.datasetId} --follow\nhistory: ${url}`, { workflowId, status: 'running', url });
      return;
    }
    if (!json) console.error(`started ${workflowId} (Ctrl-C detaches; the build keeps running)`);
    const { reportFollowedBuild } = await import('../build-report');
    process.exitCode = await reportFollowedBuild(cmd, client, {
      workflowId,
      datasetId: input.datasetId,
      url,
      taskQueue: config.temporal.task_queue,
      startedAt: Date.now(),
      shortIsSuccess: run.shortIsSuccess,
    });
  } finally {
    await client.connection.close().catch(() => {});
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
