// Deleting a dataset removes everything it owns: rows (sources, chunks, seed records, records, exports cascade
// from the dataset row), its LanceDB tables and its files in the object store (exports, quality report). It is refused while a task still works on it,
// and the steps run so that a failure half-way leaves a state the same DELETE can finish.
import { rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { and, eq } from 'drizzle-orm';
import { liveWriter, temporalWriterIsLive } from '../activities';
import { isInside } from '../domain/parsers';
import { exportsTable, tasks } from '../infra/db';
import { datasetFilesPrefix, deletePrefix, type ObjectStore } from '../infra/storage';
import { dropDatasetTables } from '../infra/vectors';
import { DatasetBusyError } from './errors';
import { buildWorkflowId } from './ids';
import { leaseHeldError, workflowStatus, type Services } from './tasks';

/** The part of the vector store a deletion uses: dropping the dataset's tables. */
export interface VectorTables {
  listTables(prefix?: string): Promise<string[]>;
  dropTable(name: string): Promise<void>;
}

/** A deletion also drops LanceDB tables; the store is opened only when one is needed. */
export interface DeletionServices extends Services {
  vectorTables: () => Promise<VectorTables>;
  /** Where the dataset's export files and quality report live. */
  objectStore: () => ObjectStore;
}

export interface DatasetDeletion {
  datasetId: string;
  vectorTablesDropped: string[];
  exportFilesRemoved: number;
}

export async function deleteDataset(services: DeletionServices, ownerId: string, datasetId: string): Promise<DatasetDeletion> {
  await refuseWhileBusy(services, ownerId, datasetId);
  // A deletion is a writer of the dataset too, and holds the dataset row's lock from its check to its end: a task
  // that tries to take the writer lease meanwhile waits, then finds the dataset gone, and no task that holds the
  // lease can be interrupted half-way.
  return services.database.sql.begin(async (tx) => {
    const [row] = await tx`select id from datasets where id = ${datasetId} and owner_id = ${ownerId} for update`;
    const holder = row && (await liveWriter(tx, datasetId, temporalWriterIsLive(services.temporal)));
    if (holder) throw leaseHeldError(datasetId, holder);
    const vectorTablesDropped = await dropDatasetTables(await services.vectorTables(), datasetId);
    const exportFilesRemoved =
      (await deletePrefix(services.objectStore(), datasetFilesPrefix(datasetId))) + (await removeLocalExportFiles(services, datasetId));
    await tx`delete from build_progress where dataset_id = ${datasetId}`;
    await tx`delete from datasets where id = ${datasetId} and owner_id = ${ownerId}`;
    return { datasetId, vectorTablesDropped, exportFilesRemoved };
  });
}

/** The build workflow and every task of this user on the dataset must be closed. */
async function refuseWhileBusy(services: DeletionServices, ownerId: string, datasetId: string): Promise<void> {
  const rows = await services.database.db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.ownerId, ownerId), eq(tasks.datasetId, datasetId)));
  const workflowIds = [...new Set([buildWorkflowId(datasetId), ...rows.map((r) => r.id)])];
  const limit = pLimit(8);
  const statuses = await Promise.all(workflowIds.map((id) => limit(async () => ({ id, ...(await workflowStatus(services.temporal, id)) }))));
  const running = statuses.filter((s) => s.status === 'running').map((s) => s.id);
  if (running.length) {
    throw new DatasetBusyError(datasetId, `Dataset "${datasetId}" has running task(s): ${running.join(', ')}`, undefined, running);
  }
}

/**
 * Removes the files of exports written before the object store (rows without a `key`: a path inside
 * paths.exports_dir) and the folders they leave empty.
 */
async function removeLocalExportFiles(services: DeletionServices, datasetId: string): Promise<number> {
  const exportsDir = path.resolve(services.config.paths.exports_dir);
  const rows = await services.database.db.select({ files: exportsTable.files }).from(exportsTable).where(eq(exportsTable.datasetId, datasetId));
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
