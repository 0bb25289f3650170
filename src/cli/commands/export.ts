// `datacreek save-as` (alias `export`): write a dataset's accepted records in a training format, split
// deterministically into train / validation / test, and list the files (the save-as step of ingest → create → curate → save-as).
import { Option, type Command } from 'commander';
import { mergeDeep } from '../../infra/common';
import { EXPORT_FORMAT_NAMES } from '../../domain/formats/types';
import { requireDataset, withDatabase } from '../connect';
import { datasetId, integer, splitRatios } from '../options';
import { configFor, globalOptions, print, table } from '../output';

export function registerExportCommand(program: Command): void {
  program
    .command('save-as')
    .alias('export')
    .description("write a dataset's accepted records in a fine-tuning format, split into train / validation / test")
    .requiredOption('-d, --dataset <id>', 'the dataset to export', datasetId)
    .addOption(new Option('-f, --format <format>', 'the training format (default: export.format)').choices(EXPORT_FORMAT_NAMES))
    .option('--split <fractions>', 'train,validation,test fractions adding up to 1 (default: export.split)', splitRatios)
    .option('--seed <n>', 'changes which records land in which split (default: export.seed)', integer)
    .option('--system-prompt <text>', 'a system message for chat formats')
    .option('--stratify-by-source', "keep each source's share the same in every split")
    .option('--detach', 'start the export and return at once')
    .action(async (opts, cmd: Command) => {
      const config = configFor(cmd);
      const { exportInputSchema } = await import('../../workflows/curate-input');
      const { parseTaskInput, printDetached, runTask } = await import('../run-task');
      const { exportWorkflowId, TASK_WORKFLOW_TYPES, uniqueSuffix } = await import('../../client');
      const dataset = await withDatabase(config, (database) => requireDataset(database, opts.dataset));
      const { inputsFromConfigFile, readConfigFile } = await import('../config-file-inputs');
      const fromFile = inputsFromConfigFile('save', readConfigFile(globalOptions(cmd).config), config);
      const input = parseTaskInput(
        exportInputSchema,
        {
          ...mergeDeep(fromFile, {
            format: opts.format,
            split: opts.split,
            seed: opts.seed,
            systemPrompt: opts.systemPrompt,
            stratifyBySource: opts.stratifyBySource,
          }),
          datasetId: dataset.id,
          ownerId: dataset.ownerId,
        },
        'export',
      );
      const workflowId = exportWorkflowId(dataset.id, uniqueSuffix());
      const outcome = await runTask(cmd, config, { workflowType: TASK_WORKFLOW_TYPES.save, workflowId, input }, { detach: Boolean(opts.detach) });
      if (outcome.detached) return printDetached(cmd, outcome);
      const r = outcome.result;
      print(cmd, `${table(r.files, ['split', 'records', 'bytes', 'path'])}\n\n${r.recordCount} records written as ${r.format}\nhistory: ${outcome.url}`, {
        workflowId,
        url: outcome.url,
        ...r,
      });
    });
}
