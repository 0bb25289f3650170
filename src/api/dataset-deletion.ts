// Deleting a dataset removes everything it owns: rows (sources, chunks, seed records, records, exports cascade
// from the dataset row), its LanceDB tables and its files in the object store (exports, quality report). It is refused while a task still works on it,
// and the steps run so that a failure half-way leaves a state the same DELETE can finish.
import { rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { and, eq } from 'drizzle-orm';
import { liveWriter, temporalWriterIsLive } from '../activities/dataset-writer';
import { exportsTable, tasks } from '../infra/db/schema';
import { chunkTableName, recordTableName } from '../activities/tables';
import { datasetFilesPrefix, deletePrefix } from '../infra/storage';
import { datasetTablePrefix } from '../infra/vectors/table-names';
import { buildWorkflowId } from '../workflows/ids';
import type { ResolvedDeps } from './context';
import { conflict } from './errors';
import { isInside } from './ingest-paths';
import { datasetBusyConflict, workflowStatus } from './task-workflows';

export interface DatasetDeletion {
  datasetId: string;
  vectorTablesDropped: string[];
  exportFilesRemoved: number;
}

export async function deleteDataset(deps: ResolvedDeps, ownerId: string, datasetId: string): Promise<DatasetDeletion> {
  await refuseWhileBusy(deps, ownerId, datasetId);
  // A deletion is a writer of the dataset too, and holds the dataset row's lock from its check to its end: a task
  // that tries to take the writer lease meanwhile waits, then finds the dataset gone, and no task that holds the
  // lease can be interrupted half-way.
  return deps.database.sql.begin(async (tx) => {
    const [row] = await tx`select id from datasets where id = ${datasetId} and owner_id = ${ownerId} for update`;
    const holder = row && (await liveWriter(tx, datasetId, temporalWriterIsLive(deps.temporal)));
    if (holder) throw datasetBusyConflict(datasetId, holder);
    const vectorTablesDropped = await dropVectorTables(deps, datasetId);
    const exportFilesRemoved = (await deletePrefix(deps.objectStore(), datasetFilesPrefix(datasetId))) + (await removeLocalExportFiles(deps, datasetId));
    await tx`delete from build_progress where dataset_id = ${datasetId}`;
    await tx`delete from datasets where id = ${datasetId} and owner_id = ${ownerId}`;
    return { datasetId, vectorTablesDropped, exportFilesRemoved };
  });
}

/** The build workflow and every task of this user on the dataset must be closed. */
async function refuseWhileBusy(deps: ResolvedDeps, ownerId: string, datasetId: string): Promise<void> {
  const rows = await deps.database.db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.ownerId, ownerId), eq(tasks.datasetId, datasetId)));
  const workflowIds = [...new Set([buildWorkflowId(datasetId), ...rows.map((r) => r.id)])];
  const limit = pLimit(8);
  const statuses = await Promise.all(workflowIds.map((id) => limit(async () => ({ id, ...(await workflowStatus(deps, id)) }))));
  const running = statuses.filter((s) => s.status === 'running').map((s) => s.id);
  if (running.length) {
    throw conflict(
      'DatasetBusy',
      `Dataset "${datasetId}" has running task(s): ${running.join(', ')}`,
      `Wait for them to finish or cancel them (POST /v1/tasks/${running[0]}/cancel), then delete again.`,
    );
  }
}

/**
 * A dataset's LanceDB tables: `chunks__<id>` / `records__<id>` (named by the ingest and build activities) and
 * every `ds_<slug>_<hash>__<purpose>` table of the vector store's own naming. A longer id that merely starts
 * the same (`<id>-2`) is spared.
 */
export function belongsToDataset(tableName: string, datasetId: string): boolean {
  if (tableName.startsWith(datasetTablePrefix(datasetId))) return true;
  return [chunkTableName(datasetId), recordTableName(datasetId)].some((base) => tableName === base || tableName.startsWith(`${base}__`));
}

async function dropVectorTables(deps: ResolvedDeps, datasetId: string): Promise<string[]> {
  const store = await deps.vectorTables();
  const names = (await store.listTables()).filter((name) => belongsToDataset(name, datasetId));
  for (const name of names) await store.dropTable(name);
  return names;
}

/**
 * Removes the files of exports written before the object store (rows without a `key`: a path inside
 * paths.exports_dir) and the folders they leave empty.
 */
async function removeLocalExportFiles(deps: ResolvedDeps, datasetId: string): Promise<number> {
  const exportsDir = path.resolve(deps.config.paths.exports_dir);
  const rows = await deps.database.db.select({ files: exportsTable.files }).from(exportsTable).where(eq(exportsTable.datasetId, datasetId));
  let removed = 0;
  const folders = new Set<string>();
  for (const row of rows) {
    for (const file of (row.files as { path?: string; key?: string }[]) ?? []) {
      if (!file?.path || file.key) continue;
      const abs = path.resolve(exportsDir, file.path);
      if (!isInside(abs, exportsDir)) continue;
      await rm(abs, { force: true });
      removed++;
      folders.add(path.dirname(abs));
    }
  }
  for (const folder of folders) {
    for (let dir = folder; isInside(dir, exportsDir) && dir !== exportsDir; dir = path.dirname(dir)) {
      const gone = await rmdir(dir).then(
        () => true,
        () => false,
      );
      if (!gone) break;
    }
  }
  return removed;
}
