// Bulk writes of the build loop: one statement per kind of change instead of one per record. Values travel as
// parallel arrays through unnest(), which keeps every column typed (jsonb, real[] and bytea go as text and are
// cast in SQL) and the statement the same whatever the number of rows.
import type { TransactionSql } from 'postgres';
import type { Sql } from '../infra/db';

/** A connection or an open transaction: the writes that belong together run inside one. */
type Tx = Sql | TransactionSql;

export interface ScoreWrite {
  id: string;
  score: number;
  reasoning: string | null;
  reward: unknown;
}

export interface RejectionWrite {
  id: string;
  reason: string;
  detail: string;
}

export interface DedupPrepWrite {
  id: string;
  contentHash: string;
  minhash: Buffer;
  /** The content after the filter steps, only when one changed it (PII redaction, HTML cleaning); else kept as is. */
  content?: unknown;
}

const DETAIL_LIMIT = 2000;

export async function writeScores(sql: Tx, rows: ScoreWrite[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    update records set score = v.score, judge_reasoning = v.reasoning, reward = v.reward::jsonb
    from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.score)}::real[],
                ${rows.map((r) => r.reasoning)}::text[], ${rows.map((r) => (r.reward ? JSON.stringify(r.reward) : null))}::text[])
      as v(id, score, reasoning, reward)
    where records.id = v.id and records.status = 'candidate'`;
}

/** Rejects candidates (only those still candidates: a retry never overwrites a decision). */
export async function writeRejections(sql: Tx, rows: RejectionWrite[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    update records set status = 'rejected', reject_reason = v.reason, reject_detail = v.detail
    from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.reason)}::text[],
                ${rows.map((r) => r.detail.slice(0, DETAIL_LIMIT))}::text[]) as v(id, reason, detail)
    where records.id = v.id and records.status = 'candidate'`;
}

/**
 * Content hash and MinHash signature of kept candidates whose stored keys are stale (generation stores them, so
 * these are the records a filter step changed, and those generated without keys), with the content where a
 * filter step changed it. Unchanged content is not sent again; signatures travel as base64.
 */
export async function writeDedupPrep(sql: Tx, rows: DedupPrepWrite[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    update records set content_hash = v.hash, minhash = decode(v.minhash, 'base64'), content = coalesce(v.content::jsonb, records.content)
    from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.contentHash)}::text[],
                ${rows.map((r) => r.minhash.toString('base64'))}::text[],
                ${rows.map((r) => (r.content === undefined ? null : JSON.stringify(r.content)))}::text[]) as v(id, hash, minhash, content)
    where records.id = v.id and records.status = 'candidate'`;
}

/** Duplicates found at acceptance: rejected with the reason and what they duplicate. */
export async function writeDuplicates(sql: Tx, rows: RejectionWrite[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    update records set status = 'rejected', reject_reason = v.reason, reject_detail = v.detail
    from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.reason)}::text[],
                ${rows.map((r) => r.detail.slice(0, DETAIL_LIMIT))}::text[]) as v(id, reason, detail)
    where records.id = v.id`;
}
