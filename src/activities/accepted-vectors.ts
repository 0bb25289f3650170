// A dataset's accepted vectors live in LanceDB (its records table), not in PostgreSQL and not in a worker's memory:
// every worker's acceptance searches the same table, and writes its accepted vectors there before its PostgreSQL
// transaction commits. PostgreSQL stays the truth about which records are accepted, so a vector whose record is
// not (or no longer) accepted — an acceptance that rolled back after writing it, a removal whose vector delete
// has not happened yet — never counts as a match: matches are checked against the accepted set before use.
import type { Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import type { VectorRow, VectorStore } from '../infra/vectors';
import type { ActivityDeps } from './deps';
import { candidateVectorTableName, recordTableName } from '../infra/vectors';

/** Neighbours fetched per candidate: enough that a stale vector at the top does not hide a real match below it. */
const NEIGHBOURS = 4;

/** Table maintenance (compaction, ANN index) runs each time the accepted set crosses a multiple of this. */
export const VECTOR_MAINTENANCE_EVERY = 2000;

export interface CandidateVector {
  id: string;
  vector: Float32Array;
}

export interface AcceptedMatch {
  id: string;
  similarity: number;
}

/**
 * For each candidate, its most similar accepted record at cosine ≥ threshold, if any: one LanceDB query per
 * candidate (the store bounds how many run at once), then one PostgreSQL query to keep only accepted records.
 */
export async function findAcceptedMatches(
  store: VectorStore,
  sql: Sql,
  datasetId: string,
  candidates: CandidateVector[],
  threshold: number,
): Promise<Map<string, AcceptedMatch>> {
  const matches = new Map<string, AcceptedMatch>();
  if (candidates.length === 0) return matches;
  const results = await store.searchMany(
    recordTableName(datasetId),
    candidates.map((c) => c.vector),
    NEIGHBOURS,
    { idsOnly: true },
  );
  const nearIds = new Set(results.flatMap((hits) => hits.filter((h) => h.score >= threshold).map((h) => h.id)));
  if (nearIds.size === 0) return matches;
  const accepted = new Set(
    (await sql<{ id: string }[]>`select id from records where id in ${sql([...nearIds])} and dataset_id = ${datasetId} and status = 'accepted'`).map(
      (r) => r.id,
    ),
  );
  candidates.forEach((candidate, i) => {
    // Hits come best first.
    const best = results[i].find((h) => h.score >= threshold && accepted.has(h.id));
    if (best) matches.set(candidate.id, { id: best.id, similarity: best.score });
  });
  return matches;
}

/** Candidates' vectors as processing wrote them; throws naming the first candidate without one. */
export async function readCandidateVectors(store: VectorStore, datasetId: string, ids: string[]): Promise<Map<string, Float32Array>> {
  const vectors = await store.readVectorsByIds(candidateVectorTableName(datasetId), ids);
  const missing = ids.find((id) => !vectors.has(id));
  if (missing !== undefined) {
    throw new Error(
      `candidate "${missing}" of dataset "${datasetId}" has no vector in ${candidateVectorTableName(datasetId)} although semantic dedup is on; ` +
        'its batch was processed with semantic dedup off or the table was dropped: rebuild the dataset, or turn semantic dedup off for this build',
    );
  }
  return vectors;
}

/**
 * Writes the vectors of newly accepted records. An acceptance's first attempt appends them: its records were
 * candidates until now, so no row of the table holds their ids, and an append does not join with the whole table as
 * a merge on id does (a cost that grows with the accepted set). A later attempt may follow one that wrote its rows
 * and then rolled back, so it merges on id and each record keeps one row. (Only a workflow reset, re-running a
 * cut-short acceptance as a first attempt, can leave a second row of an id: the same id and vector, which every
 * reader takes by id and checks against the accepted set.)
 */
export async function writeAcceptedVectors(
  store: VectorStore,
  datasetId: string,
  rows: VectorRow[],
  { firstAttempt }: { firstAttempt: boolean },
): Promise<void> {
  const table = recordTableName(datasetId);
  await (firstAttempt ? store.append(table, rows) : store.upsert(table, rows));
}

/** Removes the vectors of records that left the accepted set. */
export async function removeAcceptedVectors(deps: ActivityDeps, datasetId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await (await deps.vectors()).deleteIds(recordTableName(datasetId), ids);
}

/**
 * Keeps the dataset's two vector tables fast as a build grows them. The accepted-vector table is compacted and gets
 * its ANN index once large enough. The candidates table gets one small fragment per processed batch and is read by
 * id at every acceptance: it is compacted and gets its id index, but no vector index (it is never searched).
 * Only speed depends on this, so a failure (e.g. a concurrent commit from another worker) is logged and the next
 * crossing tries again.
 */
export async function maintainDatasetVectorTables(deps: ActivityDeps, datasetId: string, ctx?: Context): Promise<void> {
  const store = await deps.vectors();
  const indexAtRows = deps.config.dedup.semantic.index_at_rows;
  const tables = [
    { table: recordTableName(datasetId), options: { indexAtRows } },
    { table: candidateVectorTableName(datasetId), options: { indexAtRows, vectorIndex: false } },
  ];
  for (const { table, options } of tables) {
    try {
      await store.maintain(table, options);
    } catch (err) {
      ctx?.log.warn('vector table maintenance failed; searches stay correct, only slower', { datasetId, table, error: String(err) });
    }
  }
}
