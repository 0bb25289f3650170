// `datacreek datasets list|show|rm`: datasets straight from PostgreSQL, every owner's (this is the operator's
// view; the HTTP API scopes each user to their own).
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { DatacreekConfig } from '../../infra/config';
import type { Database } from '../../infra/db';
import { requireDataset, withDatabase, withTemporal } from '../connect';
import { datasetId } from '../options';
import { CliError, configFor, EXIT, print, table } from '../output';

export function registerDatasetCommands(program: Command): void {
  const datasets = program.command('datasets').description('list, inspect and delete datasets');

  datasets
    .command('list')
    .description('every dataset with its type, status, accepted records and sources')
    .option('--owner <userId>', 'only this user\'s datasets (the CLI\'s own are owned by "local")')
    .action(async (opts: { owner?: string }, cmd: Command) => {
      const config = configFor(cmd);
      const rows = await withDatabase(config, (database) => listDatasets(database, opts.owner));
      const human = rows.map((r) => ({
        id: r.id,
        type: r.type,
        status: r.status,
        accepted: r.target ? `${r.acceptedCount}/${r.target}` : String(r.acceptedCount),
        sources: r.sources,
        chunks: r.chunks,
        owner: r.ownerId,
        updated: r.updatedAt.toISOString().slice(0, 19).replace('T', ' '),
      }));
      print(cmd, table(human), rows);
    });

  datasets
    .command('show')
    .description('one dataset: records by status, reject reasons, sources, chunks and exports')
    .argument('<id>', 'the dataset', datasetId)
    .action(async (id: string, _opts, cmd: Command) => {
      const config = configFor(cmd);
      const details = await withDatabase(config, (database) => showDataset(database, id));
      print(cmd, humanDetails(details), details);
    });

  datasets
    .command('rm')
    .description('delete a dataset: its rows, vector tables and export files (refused while a task runs on it)')
    .argument('<id>', 'the dataset', datasetId)
    .action(async (id: string, _opts, cmd: Command) => {
      const config = configFor(cmd);
      const deletion = await withDatabase(config, async (database) => {
        const dataset = await requireDataset(database, id);
        return withTemporal(config, (temporal) => removeDataset(config, database, temporal, dataset.ownerId, id));
      });
      print(
        cmd,
        `deleted dataset ${id}: rows, ${deletion.vectorTablesDropped.length} vector table(s), ${deletion.exportFilesRemoved} export file(s)`,
        deletion,
      );
    });
}

interface DatasetListRow {
  id: string;
  ownerId: string;
  type: string;
  status: string;
  target: number | null;
  acceptedCount: number;
  stopReason: string | null;
  sources: number;
  chunks: number;
  createdAt: Date;
  updatedAt: Date;
}

async function listDatasets(database: Database, owner?: string): Promise<DatasetListRow[]> {
  const { sql } = database;
  const rows = await sql<
    {
      id: string;
      owner_id: string;
      type: string;
      status: string;
      target: number | null;
      accepted_count: number;
      stop_reason: string | null;
      sources: number;
      chunks: number;
      created_at: Date;
      updated_at: Date;
    }[]
  >`select d.id, d.owner_id, d.type, d.status, d.target, d.accepted_count, d.stop_reason, d.created_at, d.updated_at,
      (select count(*)::int from sources s where s.dataset_id = d.id) as sources,
      (select count(*)::int from chunks c where c.dataset_id = d.id) as chunks
    from datasets d ${owner ? sql`where d.owner_id = ${owner}` : sql``}
    order by d.created_at desc, d.id`;
  return rows.map((r) => ({
    id: r.id,
    ownerId: r.owner_id,
    type: r.type,
    status: r.status,
    target: r.target,
    acceptedCount: r.accepted_count,
    stopReason: r.stop_reason,
    sources: r.sources,
    chunks: r.chunks,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

async function showDataset(database: Database, id: string) {
  const { datasetStatistics } = await import('../../client');
  const dataset = await requireDataset(database, id);
  const [row] = await database.sql<{ name: string; target: number | null; stop_reason: string | null; created_at: Date; updated_at: Date }[]>`
    select name, target, stop_reason, created_at, updated_at from datasets where id = ${id}`;
  const statistics = await datasetStatistics(database, id);
  const sourceRows = await database.sql<{ file_name: string; kind: string; format: string; chunk_count: number; seed_record_count: number; uri: string }[]>`
    select file_name, kind, format, chunk_count, seed_record_count, uri from sources where dataset_id = ${id} order by created_at, id`;
  const exportRows = await database.sql<
    { id: string; format: string; record_count: number; bytes: number; files: { split: string; path: string; records: number }[]; created_at: Date }[]
  >`
    select id, format, record_count, bytes, files, created_at from exports where dataset_id = ${id} order by created_at desc, id`;
  return {
    id,
    name: row.name,
    ownerId: dataset.ownerId,
    type: dataset.type,
    status: dataset.status,
    target: row.target,
    stopReason: row.stop_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...statistics,
    sourceList: sourceRows.map((s) => ({
      file: s.file_name,
      kind: s.kind,
      format: s.format,
      chunks: s.chunk_count,
      seedRecords: s.seed_record_count,
      uri: s.uri,
    })),
    exportList: exportRows.map((e) => ({
      id: e.id,
      format: e.format,
      records: e.record_count,
      bytes: Number(e.bytes),
      files: e.files,
      createdAt: e.created_at,
    })),
  };
}

function humanDetails(d: Awaited<ReturnType<typeof showDataset>>): string {
  const r = d.records;
  const reasons = Object.entries(d.rejectReasons).map(([reason, records]) => ({ reason, records }));
  return [
    `dataset ${d.id} (${d.type}, owner ${d.ownerId}): ${d.status}${d.stopReason ? `, stopped: ${d.stopReason}` : ''}`,
    `records: ${r.accepted}${d.target ? `/${d.target}` : ''} accepted, ${r.rejected} rejected, ${r.surplus} surplus, ${r.candidate} candidates (${r.total} in all)`,
    `sources: ${d.sources}, chunks: ${d.chunks}, seed records: ${d.seedRecords}, exports: ${d.exports}`,
    '',
    'reject reasons:',
    table(reasons),
    '',
    'sources:',
    table(d.sourceList, ['file', 'kind', 'format', 'chunks', 'seedRecords']),
    '',
    'exports:',
    table(
      d.exportList.flatMap((e) => e.files.map((f) => ({ export: e.id, format: e.format, split: f.split, records: f.records, path: f.path }))),
      ['export', 'format', 'split', 'records', 'path'],
    ),
  ].join('\n');
}

/** The deletion the API runs too (rows, LanceDB tables, export files; refused while a task runs), with CLI wording. */
async function removeDataset(config: DatacreekConfig, database: Database, temporal: Client, ownerId: string, id: string) {
  const { DatasetBusyError, deleteDataset } = await import('../../client');
  const { openConfiguredVectorStore } = await import('../../infra/vectors');
  const { openObjectStore } = await import('../../infra/storage');
  let store: Awaited<ReturnType<typeof openConfiguredVectorStore>> | undefined;
  let objects: ReturnType<typeof openObjectStore> | undefined;
  try {
    return await deleteDataset(
      {
        config,
        database,
        temporal,
        vectorTables: async () => (store ??= await openConfiguredVectorStore(config)),
        objectStore: () => (objects ??= openObjectStore(config.storage)),
      },
      ownerId,
      id,
    );
  } catch (err) {
    if (err instanceof DatasetBusyError) {
      throw new CliError(err.message, EXIT.busy, 'Wait for the task(s) to finish, or stop them with `datacreek cancel <task>`, then delete again.');
    }
    throw err;
  } finally {
    await store?.close().catch(() => {});
    objects?.close();
  }
}
