// `datacreek curate`: score an existing dataset's records (built or imported) with the judge and keep those at or
// above the threshold (seed 001's curate step). Starts `curateDataset` by name and prints what it kept.
import { Option, type Command } from 'commander';
import type { CurateResult } from '../../workflows/curate-input';
import { curateWorkflowId } from '../../workflows/ids';
import { requireDataset, withDatabase, withTemporal } from '../connect';
import { datasetId, judgeThreshold } from '../options';
import { CliError, configFor, EXIT, print, table } from '../output';

export function registerCurateCommand(program: Command): void {
  program
    .command('curate')
    .description("score a dataset's records with the LLM judge and keep those at or above --threshold")
    .requiredOption('-d, --dataset <id>', 'the dataset to curate', datasetId)
    .option('--threshold <score>', 'lowest judge score (1-10) to keep (default: curate.threshold, 7)', judgeThreshold)
    .addOption(new Option('--scoring <mode>', 'how records are scored (default: curate.scoring)').choices(['judge', 'reward', 'both', 'none']))
    .option('--detach', 'start curation and return at once')
    .action(async (opts, cmd: Command) => {
      const config = configFor(cmd);
      const { curateInputSchema } = await import('../../workflows/curate-input');
      const { runTask, uniqueSuffix } = await import('../run-task');
      const dataset = await withDatabase(config, (database) => requireDataset(database, opts.dataset));
      const parsed = curateInputSchema.safeParse({ datasetId: dataset.id, ownerId: dataset.ownerId, threshold: opts.threshold, scoring: opts.scoring });
      if (!parsed.success) {
        throw new CliError(`invalid curate options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, EXIT.usage);
      }
      const { refuseWhileDatasetBusy } = await import('../dataset-busy');
      await withDatabase(config, (database) => withTemporal(config, (temporal) => refuseWhileDatasetBusy(database, temporal, dataset.id)));
      const workflowId = curateWorkflowId(dataset.id, uniqueSuffix());
      const outcome = await runTask<CurateResult>(cmd, config, { workflowType: 'curateDataset', workflowId, input: parsed.data }, { detach: Boolean(opts.detach) });
      if (outcome.detached) {
        print(cmd, `started ${workflowId}\nfollow: datacreek status ${workflowId} --follow\nhistory: ${outcome.url}`, { workflowId, status: 'running', url: outcome.url });
        return;
      }
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
