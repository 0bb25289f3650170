// Datasets as their owners see them: created, listed, inspected, renamed and deleted, always scoped to the
// owner. A dataset that exists but belongs to someone else is reported exactly like one that does not exist.
import { and, count, desc, eq } from 'drizzle-orm';
import type { Database } from '../infra/db';
import { buildProgress, datasets } from '../infra/db';
import { DatasetExistsError, NotFoundError } from './errors';
import { buildWorkflowId } from './ids';

export type DatasetRow = typeof datasets.$inferSelect;

export async function findOwnedDataset(database: Database, ownerId: string, id: string): Promise<DatasetRow | undefined> {
  const [row] = await database.db
    .select()
    .from(datasets)
    .where(and(eq(datasets.id, id), eq(datasets.ownerId, ownerId)));
  return row;
}

export async function requireOwnedDataset(database: Database, ownerId: string, id: string): Promise<DatasetRow> {
  const row = await findOwnedDataset(database, ownerId, id);
  if (!row) throw new NotFoundError('dataset', id);
  return row;
}

export async function createDataset(
  database: Database,
  ownerId: string,
  input: { id: string; name?: string; description: string; type: string },
): Promise<DatasetRow> {
  const inserted = await database.db
    .insert(datasets)
    .values({ id: input.id, ownerId, name: input.name ?? input.id, description: input.description, type: input.type })
    .onConflictDoNothing({ target: datasets.id })
    .returning();
  // Dataset ids are unique across the server (they name workflows and vector tables), so a taken id is a
  // conflict whoever holds it; the error says nothing about the holder.
  if (!inserted.length) throw new DatasetExistsError(input.id);
  return inserted[0];
}

/**
 * The dataset an ingest writes into: the caller's own, or a new one created for them (as the ingest workflow
 * would). Someone else's dataset id is NotFoundError.
 */
export async function ownedOrNewDataset(database: Database, ownerId: string, id: string): Promise<DatasetRow> {
  await database.db.insert(datasets).values({ id, ownerId, name: id }).onConflictDoNothing({ target: datasets.id });
  return requireOwnedDataset(database, ownerId, id);
}

export async function listDatasets(database: Database, ownerId: string, limit: number, offset: number) {
  const rows = await database.db
    .select()
    .from(datasets)
    .where(eq(datasets.ownerId, ownerId))
    .orderBy(desc(datasets.createdAt), datasets.id)
    .limit(limit)
    .offset(offset);
  const [{ total }] = await database.db.select({ total: count() }).from(datasets).where(eq(datasets.ownerId, ownerId));
  return { rows, total };
}

export async function updateDataset(database: Database, ownerId: string, id: string, changes: { name?: string; description?: string }) {
  const [row] = await database.db
    .update(datasets)
    .set({ ...changes, updatedAt: new Date() })
    .where(and(eq(datasets.id, id), eq(datasets.ownerId, ownerId)))
    .returning();
  if (!row) throw new NotFoundError('dataset', id);
  return row;
}

/** What a dataset holds, counted in one round trip: records by status, reject reasons, sources, chunks, exports. */
export async function datasetStatistics(database: Database, id: string) {
  const { sql } = database;
  const [counts] = await sql<{ sources: number; chunks: number; seed_records: number; exports: number }[]>`select
      (select count(*)::int from sources where dataset_id = ${id}) as sources,
      (select count(*)::int from chunks where dataset_id = ${id}) as chunks,
      (select count(*)::int from seed_records where dataset_id = ${id}) as seed_records,
      (select count(*)::int from exports where dataset_id = ${id}) as exports`;
  const byStatus = await sql<{ status: string; n: number }[]>`
    select status, count(*)::int as n from records where dataset_id = ${id} group by status`;
  const reasons = await sql<{ reason: string; n: number }[]>`
    select coalesce(reject_reason, 'unspecified') as reason, count(*)::int as n
    from records where dataset_id = ${id} and status = 'rejected' group by 1 order by 2 desc`;
  const [progress] = await database.db
    .select({ progress: buildProgress.progress })
    .from(buildProgress)
    .where(eq(buildProgress.workflowId, buildWorkflowId(id)));
  const records = { total: 0, candidate: 0, accepted: 0, rejected: 0, surplus: 0 };
  for (const { status, n } of byStatus) {
    records.total += n;
    if (status in records) records[status as keyof typeof records] += n;
  }
  return {
    records,
    rejectReasons: Object.fromEntries(reasons.map((r) => [r.reason, r.n])),
    sources: counts.sources,
    chunks: counts.chunks,
    seedRecords: counts.seed_records,
    exports: counts.exports,
    buildProgress: (progress?.progress as Record<string, unknown> | undefined) ?? null,
  };
}
