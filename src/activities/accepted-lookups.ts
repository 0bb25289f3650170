// Exact and near-duplicate lookups of an acceptance's candidates in the dataset's accepted set. Exact: the accepted
// content hashes, through their unique index in PostgreSQL. Near: the worker's bounded AcceptedBandIndex names the
// few accepted records that may be near duplicates, and their full MinHash signatures, read from PostgreSQL, decide.
// The worker keeps no hash, id or full signature of the accepted set.
import type { Sql } from 'postgres';
import { bestNearMatch, signatureFromBuffer, type AcceptedBandIndex, type NearMatch } from '../domain/dedup';

export type AcceptedNear = NearMatch;

/** For each content hash an accepted record of the dataset has, that record's id. */
export async function acceptedWithHashes(sql: Sql, datasetId: string, hashes: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const unique = [...new Set(hashes)];
  for (let start = 0; start < unique.length; start += 5000) {
    const rows = await sql<{ id: string; content_hash: string }[]>`
      select id, content_hash from records
      where dataset_id = ${datasetId} and status = 'accepted' and content_hash = any(${unique.slice(start, start + 5000)}::text[])`;
    for (const row of rows) found.set(row.content_hash, row.id);
  }
  return found;
}

/**
 * For each candidate, its most similar accepted record at estimated Jaccard ≥ threshold, if any. The band index
 * names the accepted records that may be (by accept_seq); their signatures are read from PostgreSQL and compared
 * in full, so the answer is the in-memory LSH index's.
 */
export async function acceptedNearDuplicates(
  sql: Sql,
  datasetId: string,
  bands: AcceptedBandIndex,
  candidates: { id: string; minhash: Uint32Array }[],
  threshold: number,
): Promise<Map<string, AcceptedNear>> {
  const refsOf = candidates.map((c) => bands.candidates(c.minhash, threshold));
  const refs = [...new Set(refsOf.flat())];
  const matches = new Map<string, AcceptedNear>();
  if (refs.length === 0) return matches;
  const bySeq = new Map<number, { id: string; minhash: Uint32Array }>();
  for (let start = 0; start < refs.length; start += 5000) {
    const rows = await sql<{ id: string; accept_seq: number; minhash: Buffer | null }[]>`
      select id, accept_seq, minhash from records
      where dataset_id = ${datasetId} and status = 'accepted' and accept_seq = any(${refs.slice(start, start + 5000)}::int[])`;
    for (const row of rows) if (row.minhash) bySeq.set(row.accept_seq, { id: row.id, minhash: signatureFromBuffer(row.minhash) });
  }
  candidates.forEach((candidate, i) => {
    const best = bestNearMatch(candidate.minhash, refsOf[i], (ref) => bySeq.get(ref), threshold);
    if (best) matches.set(candidate.id, best);
  });
  return matches;
}
