// The accepted set of a dataset, and the only code that changes it. Whoever accepts, adopts or removes records
// (a build's acceptance, curation, augmentation, an import adopted as records) does it inside one transaction
// that first locks the dataset row: acceptance sequence numbers then come from the database, never from a
// caller's memory, and two writers can never hand out the same number or overshoot a target.
import { ApplicationFailure } from '@temporalio/activity';
import type { TransactionSql } from 'postgres';

/** What the database says about a dataset's accepted records, read under the dataset row's lock. */
export interface AcceptedState {
  accepted: number;
  /** datasets.accepted_version: which state of the accepted set this is. */
  version: number;
  /** The next free acceptance sequence number (accepted + 1 while the numbering has no gaps). */
  nextSeq: number;
}

/** Fails the caller for good: retrying cannot repair a broken invariant, and hiding it would corrupt a dataset. */
export function invariantViolated(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvariantViolated', message, nonRetryable: true });
}

/**
 * Locks the dataset row until the transaction ends and returns its accepted state. Every writer of the accepted
 * set calls this first, so they take turns.
 */
export async function lockAcceptedSet(tx: TransactionSql, datasetId: string): Promise<AcceptedState> {
  const [row] = await tx<{ accepted_version: number }[]>`select accepted_version from datasets where id = ${datasetId} for update`;
  if (!row) throw invariantViolated(`dataset "${datasetId}" does not exist (deleted while it was being changed?)`);
  const [state] = await tx<{ accepted: number; max_seq: number }[]>`
    select count(*)::int as accepted, coalesce(max(accept_seq), 0)::int as max_seq
    from records where dataset_id = ${datasetId} and status = 'accepted'`;
  return { accepted: state.accepted, version: row.accepted_version, nextSeq: state.max_seq + 1 };
}

/**
 * Marks candidates accepted, numbered from `firstSeq` in the order given. Every id must still be a candidate: a
 * record that something else already decided (a finished build, another attempt) means the caller's view is
 * stale, and it fails loudly instead of re-deciding it.
 */
export async function acceptCandidatesInOrder(tx: TransactionSql, datasetId: string, ids: string[], firstSeq: number): Promise<void> {
  if (ids.length === 0) return;
  // Each id carries the dataset and status it must have as columns of the unnest, not as constants, and the ids are
  // also given as a restriction (id = any(...)) that the primary key serves. With constants the planner may read
  // every pending candidate of the dataset through its (dataset_id, status) index and hash-join them with the ids:
  // statistics lag behind a burst of new candidates, so it expects a handful. That costs time in proportion to the
  // candidates pending, not to the ids given (measured with 50k pending: 10-14k rows/s against 26k). A table the
  // planner believes small it may still scan once, hashing the ids.
  const updated = await guardUnique(
    () => tx`
      update records set status = 'accepted', accept_seq = v.seq, reject_reason = null, reject_detail = null
      from unnest(
        ${ids}::text[],
        ${ids.map((_, i) => firstSeq + i)}::int[],
        ${ids.map(() => datasetId)}::text[],
        ${ids.map(() => 'candidate')}::text[]
      ) as v(id, seq, dataset_id, status)
      where records.id = any(${ids}::text[])
        and records.id = v.id and records.dataset_id = v.dataset_id and records.status = v.status`,
    datasetId,
  );
  if (updated.count !== ids.length) {
    throw invariantViolated(`dataset "${datasetId}": ${ids.length - updated.count} of ${ids.length} records to accept were no longer candidates`);
  }
}

/**
 * Inserts records straight into the accepted set (curation adopting imported rows, augmentation adding
 * variants), numbered after what is there. Rows whose content duplicates an accepted record are skipped;
 * returns the ids that were accepted.
 */
export async function insertAccepted(tx: TransactionSql, datasetId: string, rows: Record<string, unknown>[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const { nextSeq } = await lockAcceptedSet(tx, datasetId);
  const fresh = await tx<{ id: string }[]>`select id from records where id in ${tx(rows.map((r) => r.id as string))}`;
  const known = new Set(fresh.map((r) => r.id));
  const hashes = rows.map((r) => r.content_hash).filter((h): h is string => typeof h === 'string');
  const taken = new Set(
    hashes.length
      ? (
          await tx<{ content_hash: string }[]>`
            select content_hash from records where dataset_id = ${datasetId} and status = 'accepted' and content_hash in ${tx(hashes)}`
        ).map((r) => r.content_hash)
      : [],
  );
  const toInsert: Record<string, unknown>[] = [];
  for (const row of rows) {
    if (known.has(row.id as string)) continue;
    const hash = row.content_hash as string | undefined;
    if (hash && taken.has(hash)) continue;
    if (hash) taken.add(hash);
    toInsert.push({ ...row, dataset_id: datasetId, status: 'accepted', accept_seq: nextSeq + toInsert.length });
  }
  if (toInsert.length === 0) return [];
  await guardUnique(() => tx`insert into records ${tx(toInsert)}`, datasetId);
  return toInsert.map((r) => r.id as string);
}

/**
 * Renumbers the accepted records 1..n in their current order, after records left the set (curation removed
 * them): "accept_seq is 1..accepted" stays checkable. Two steps through negative numbers, because a unique index
 * is checked row by row and a one-step shift would collide with a row not yet moved.
 */
export async function compactAcceptSeq(tx: TransactionSql, datasetId: string): Promise<void> {
  await tx`
    update records r set accept_seq = -v.rn
    from (select id, row_number() over (order by accept_seq, id) as rn
          from records where dataset_id = ${datasetId} and status = 'accepted') v
    where r.id = v.id and r.accept_seq is distinct from v.rn`;
  await tx`update records set accept_seq = -accept_seq where dataset_id = ${datasetId} and status = 'accepted' and accept_seq < 0`;
}

/**
 * Brings the dataset row's accepted_count in line with the records and bumps its accepted_version, under the same
 * lock: every change to the accepted set ends here, so a cached dedup index can tell it is out of date.
 */
export async function recountAccepted(tx: TransactionSql, datasetId: string): Promise<{ accepted: number; version: number }> {
  const [row] = await tx<{ accepted_count: number; accepted_version: number }[]>`
    update datasets set accepted_count = (select count(*) from records where dataset_id = ${datasetId} and status = 'accepted'),
      accepted_version = accepted_version + 1, updated_at = now()
    where id = ${datasetId} returning accepted_count, accepted_version`;
  return { accepted: row?.accepted_count ?? 0, version: row?.accepted_version ?? 0 };
}

/** A unique-index violation on the accepted set is a broken invariant, never something a retry fixes. */
async function guardUnique<T>(write: () => Promise<T>, datasetId: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const e = err as { code?: string; constraint_name?: string; message?: string };
    if (e.code === '23505') {
      throw invariantViolated(`dataset "${datasetId}": ${e.constraint_name ?? 'a unique index'} violated (${e.message})`);
    }
    throw err;
  }
}
