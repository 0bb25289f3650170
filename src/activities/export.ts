// Export: write a dataset's accepted records in a training format, split deterministically, put the files in
// the object store (storage.url) and record them. Files are named after the workflow id, so a retry overwrites
// rather than duplicates; they are written to a private temp folder first and each object appears whole, so
// nothing half-written is ever visible, and any API node can serve them.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { heartbeat } from '@temporalio/activity';
import { type ExportFormat, resolveExportFormat, writeExport } from '../domain/formats';
import { datasetFilesPrefix, putDirectory } from '../infra/storage';
import type { DatasetRecord, RecordContent } from '../domain/records/types';
import type { ExportResult } from '../workflows/curate-input';
import type { Sql, TransactionSql } from 'postgres';
import type { ActivityDeps } from './deps';
import { asNonRetryable, badInput } from './errors';

export interface ExportActivityInput {
  exportId: string;
  datasetId: string;
  ownerId: string;
  format?: string;
  split?: { train: number; validation: number; test: number };
  seed?: number;
  systemPrompt?: string;
  stratifyBySource?: boolean;
}

/** Reads a dataset's accepted records in acceptance order, in pages (inside `sql` when it is a transaction). */
export async function loadAcceptedRecords(deps: ActivityDeps, datasetId: string, sql: Sql | TransactionSql = deps.database.sql): Promise<DatasetRecord[]> {
  const out: DatasetRecord[] = [];
  let after = 0;
  for (;;) {
    const rows = await sql<
      {
        id: string;
        content: RecordContent;
        score: number | null;
        source: string | null;
        accept_seq: number;
        chunk_id: string | null;
        seed_record_id: string | null;
      }[]
    >`
      select id, content, score, source, accept_seq, chunk_id, seed_record_id from records
      where dataset_id = ${datasetId} and status = 'accepted' and accept_seq > ${after}
      order by accept_seq limit 5000`;
    if (rows.length === 0) return out;
    for (const r of rows) {
      out.push({ id: r.id, content: r.content, score: r.score, source: r.source, metadata: { chunkId: r.chunk_id, seedRecordId: r.seed_record_id } });
    }
    after = rows[rows.length - 1].accept_seq;
  }
}

export function createExportActivities(deps: ActivityDeps) {
  const { config, database } = deps;

  async function exportRecords(input: ExportActivityInput): Promise<ExportResult> {
    const [dataset] = await database.sql<{ owner_id: string }[]>`select owner_id from datasets where id = ${input.datasetId}`;
    if (!dataset || dataset.owner_id !== input.ownerId) {
      throw badInput('NotFound', `dataset "${input.datasetId}" does not exist`, 'Check the dataset id (datacreek datasets list).');
    }
    let format: ExportFormat;
    try {
      format = resolveExportFormat(input.format ?? config.export.format);
    } catch (err) {
      asNonRetryable(err, 'InvalidInput');
    }
    // One read-only snapshot: an export never takes the writer lease and never waits for a writer. While a build
    // runs, it holds exactly the records accepted when it read them (acceptance numbers 1..k, as accepted).
    const records = await database.sql.begin('isolation level repeatable read read only', (tx) => loadAcceptedRecords(deps, input.datasetId, tx));
    if (records.length === 0) {
      throw badInput('InvalidInput', `dataset "${input.datasetId}" has no accepted records to export`, 'Build it first (datacreek build).');
    }
    heartbeat({ records: records.length });
    const split = input.split ?? config.export.split;
    const store = deps.objectStore();
    const prefix = datasetFilesPrefix(input.datasetId);
    const workDir = await mkdtemp(path.join(os.tmpdir(), 'datacreek-export-'));
    let files: ExportResult['files'];
    try {
      let written: Awaited<ReturnType<typeof writeExport>>;
      try {
        written = await writeExport(records, {
          format,
          outDir: workDir,
          baseName: `${input.datasetId}-${format}-${input.exportId.split('-').pop()}`,
          splits: {
            ratios: split,
            seed: input.seed ?? config.export.seed,
            stratifyBy: (input.stratifyBySource ?? config.export.stratify_by_source) ? 'source' : undefined,
          },
          systemPrompt: input.systemPrompt ?? (config.export.system_prompt || undefined),
        });
      } catch (err) {
        asNonRetryable(err, 'ExportFormatError');
      }
      // Everything written goes up, the split files and what belongs with them (a Hugging Face dataset's card).
      await putDirectory(store, workDir, prefix, (object) => heartbeat({ stage: 'upload', key: object.key }));
      files = written.files.map((f) => {
        const key = `${prefix}${path.relative(workDir, f.path).split(path.sep).join('/')}`;
        return { split: f.split, key, path: store.locate(key), records: f.records, bytes: f.bytes };
      });
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
    const bytes = files.reduce((n, f) => n + f.bytes, 0);
    await database.sql`insert into exports (id, dataset_id, format, files, record_count, bytes)
      values (${input.exportId}, ${input.datasetId}, ${format}, ${database.sql.json(files as never)}, ${records.length}, ${bytes})
      on conflict (id) do update set files = excluded.files, record_count = excluded.record_count, bytes = excluded.bytes`.catch((err) => {
      // The dataset was deleted while its files were written: say so rather than retry a write that cannot succeed.
      if ((err as { code?: string }).code === '23503') {
        throw badInput('NotFound', `dataset "${input.datasetId}" was deleted during the export`, 'Nothing to export; build it again first.');
      }
      throw err;
    });
    return { exportId: input.exportId, datasetId: input.datasetId, format, files, recordCount: records.length };
  }

  return { exportRecords };
}

export type ExportActivities = ReturnType<typeof createExportActivities>;
