// `datacreek ingest PATH|URL …`: starts the ingest workflow and reports a status per file.
import path from 'node:path';
import type { Command } from 'commander';
import { planIngest } from '../../activities';
import type { IngestResult } from '../../workflows/ingest-input';
import { withDatabase } from '../connect';
import { CliError, configFor, EXIT, print, table } from '../output';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('ingest documents (PDF, HTML, DOCX, PPTX, TXT, MD), URLs, YouTube videos or dataset files into a dataset')
    .argument('<inputs...>', 'files, directories or URLs')
    .requiredOption('-d, --dataset <id>', 'the dataset to ingest into (created if new)')
    .option('--include <glob>', 'only files matching (repeatable)', collect)
    .option('--exclude <glob>', 'skip files matching (repeatable)', collect)
    .option('--preview', 'list what would be ingested, without ingesting')
    .option('--detach', 'start the workflow and return at once')
    .action(async (inputs: string[], opts, cmd: Command) => {
      const config = configFor(cmd);
      const items = inputs.map((i) => (/^https?:\/\//i.test(i) ? { url: i } : { path: path.resolve(i) }));
      if (opts.preview) {
        // The same planning the ingest runs, so the preview says exactly what it will do with each entry.
        const { entries } = await planIngest(items, {
          include: opts.include ?? (config.ingest.include.length ? config.ingest.include : undefined),
          exclude: opts.exclude ?? config.ingest.exclude,
          maxFileBytes: config.ingest.max_file_bytes,
        });
        const rows = entries.map((e) => ({
          item: e.item,
          format: e.format ?? '',
          size: e.size ?? '',
          action: e.reason ? `${e.action}: ${e.reason}` : e.linkTarget ? `${e.action} (follows link to ${e.linkTarget})` : e.action,
        }));
        const note =
          'Run locally, ingest follows symbolic links to files wherever they lead; through the HTTP API, links out of ingest.allowed_roots are skipped.';
        print(cmd, `${table(rows)}\n\n${note}`, rows);
        return;
      }
      const {
        connectTemporalClient,
        describeWorkflowFailure,
        ingestWorkflowId,
        refuseWhileDatasetBusy,
        startWorkflow,
        TASK_WORKFLOW_TYPES,
        uniqueSuffix,
        workflowUiUrl,
      } = await import('../../client');
      const client = await connectTemporalClient(config);
      await withDatabase(config, (database) => refuseWhileDatasetBusy({ database, temporal: client }, opts.dataset));
      const workflowId = ingestWorkflowId(opts.dataset, uniqueSuffix());
      const handle = await startWorkflow(client, config, TASK_WORKFLOW_TYPES.ingest, workflowId, {
        datasetId: opts.dataset,
        items,
        include: opts.include,
        exclude: opts.exclude,
      });
      if (opts.detach) {
        print(cmd, `started ${workflowId}\n${workflowUiUrl(config, workflowId)}`, { workflowId, url: workflowUiUrl(config, workflowId) });
        return;
      }
      let result: IngestResult;
      try {
        result = await handle.result();
      } catch (err) {
        const failure = describeWorkflowFailure(err);
        throw new CliError(failure.message, failure.code === 'DatasetBusy' ? EXIT.busy : EXIT.usage, failure.hint);
      }
      const rows = [
        ...result.files.map((f) => ({
          item: f.item,
          status: f.status,
          format: f.format ?? '',
          chunks: f.chunks ?? '',
          records: f.seedRecords ?? '',
          reason: f.error ? `${f.error.message}${f.error.hint ? ` (${f.error.hint})` : ''}` : '',
        })),
        ...result.skipped.map((s) => ({ item: s.item, status: 'skipped', format: '', chunks: '', records: '', reason: s.reason })),
      ];
      const t = result.totals;
      print(
        cmd,
        `${table(rows)}\n\n${t.ingested} ingested, ${t.unchanged} unchanged, ${t.failed} failed, ${t.skipped} skipped; ${t.chunks} chunks, ${t.seedRecords} seed records\nhistory: ${workflowUiUrl(config, workflowId)}`,
        { workflowId, ...result },
      );
      if (t.failed > 0) process.exitCode = EXIT.partial;
    });
}
