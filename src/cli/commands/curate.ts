// `datacreek curate`: score an existing dataset's records (built or imported) with the judge and keep those at or
// above the threshold, optionally adding variants of a share of them (--augment). Starts `curateDataset` by name and prints what it kept.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { mergeDeep } from '../../infra/common';
import { requireDataset, withDatabase, withTemporal } from '../connect';
import { datasetId, judgeThreshold } from '../options';
import { CliError, configFor, EXIT, globalOptions, print, table } from '../output';

export function registerCurateCommand(program: Command): void {
  program
    .command('curate')
    .description("score a dataset's records with the LLM judge and keep those at or above --threshold")
    .requiredOption('-d, --dataset <id>', 'the dataset to curate', datasetId)
    .option('--threshold <score>', 'lowest judge score (1-10) to keep (default: curate.threshold, 7)', judgeThreshold)
    .addOption(new Option('--scoring <mode>', 'how records are scored (default: curate.scoring)').choices(['judge', 'reward', 'both', 'none']))
    .option('--augment <kinds>', 'add variants of the kept records: comma-separated paraphrase, easier, harder, format_variation', augmentKinds)
    .option('--ratio <share>', 'share of the kept records to augment, 0-1 (with --augment; default 0.5)', ratio)
    .option('--detach', 'start curation and return at once')
    .action(async (opts, cmd: Command) => {
      const config = configFor(cmd);
      const { curateInputSchema } = await import('../../workflows/curate-input');
      const { parseTaskInput, printDetached, runTask } = await import('../run-task');
      const { curateWorkflowId, refuseWhileDatasetBusy, TASK_WORKFLOW_TYPES, uniqueSuffix } = await import('../../client');
      const dataset = await withDatabase(config, (database) => requireDataset(database, opts.dataset));
      if (opts.ratio !== undefined && !opts.augment)
        throw new CliError(
          '--ratio needs --augment (which variants to add)',
          EXIT.usage,
          'e.g. datacreek curate -d my-data --augment paraphrase,harder --ratio 0.5',
        );
      const { inputsFromConfigFile, readConfigFile } = await import('../config-file-inputs');
      const fromFile = inputsFromConfigFile('curate', readConfigFile(globalOptions(cmd).config), config);
      const augment = opts.augment ? { kinds: opts.augment, ratio: opts.ratio ?? DEFAULT_AUGMENT_RATIO } : undefined;
      const input = parseTaskInput(
        curateInputSchema,
        { ...mergeDeep(fromFile, { threshold: opts.threshold, scoring: opts.scoring, augment }), datasetId: dataset.id, ownerId: dataset.ownerId },
        'curate',
      );
      await withDatabase(config, (database) => withTemporal(config, (temporal) => refuseWhileDatasetBusy({ database, temporal }, dataset.id)));
      const workflowId = curateWorkflowId(dataset.id, uniqueSuffix());
      const outcome = await runTask(cmd, config, { workflowType: TASK_WORKFLOW_TYPES.curate, workflowId, input }, { detach: Boolean(opts.detach) });
      if (outcome.detached) return printDetached(cmd, outcome);
      const r = outcome.result;
      const removed = Object.entries(r.removed ?? {}).map(([reason, records]) => ({ reason, records }));
      print(
        cmd,
        [
          `${r.kept} of ${r.total} records kept (retention ${(r.retentionRate * 100).toFixed(1)}%), average score ${r.averageScore === null ? 'n/a' : r.averageScore.toFixed(2)}`,
          ...(r.augmented ? [`${r.augmented} augmented variants added`] : []),
          removed.length ? `removed:\n${table(removed)}` : 'removed: none',
          ...(r.report ? [`quality report: ${r.report.html} (JSON: ${r.report.json})`] : []),
          `history: ${outcome.url}`,
        ].join('\n'),
        { workflowId, url: outcome.url, ...r },
      );
    });
}

const AUGMENT_KINDS = ['paraphrase', 'easier', 'harder', 'format_variation'] as const;
const DEFAULT_AUGMENT_RATIO = 0.5;

function augmentKinds(value: string): string[] {
  const kinds = value
    .split(',')
    .map((kind) => kind.trim())
    .filter(Boolean);
  const unknown = kinds.filter((kind) => !(AUGMENT_KINDS as readonly string[]).includes(kind));
  if (kinds.length === 0 || unknown.length) {
    throw new InvalidArgumentError(
      `${unknown.length ? `unknown kind ${unknown.join(', ')}` : 'no kind given'}; use a comma-separated list of ${AUGMENT_KINDS.join(', ')}`,
    );
  }
  return [...new Set(kinds)];
}

function ratio(value: string): number {
  const share = Number(value);
  if (!Number.isFinite(share) || share < 0 || share > 1) throw new InvalidArgumentError('a share from 0 to 1, e.g. 0.5');
  return share;
}
