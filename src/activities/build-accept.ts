// Accepting processed batches: dedupe their candidates against everything the dataset accepted before and
// against each other (exact hash, MinHash LSH, embeddings), then accept at most the remaining target in a
// fixed order. The workflow runs one acceptance at a time per dataset, which is what makes "exactly N" hold.
import type { Context } from '@temporalio/activity';
import { Deduplicator } from '../dedup';
import { signatureFromBuffer } from '../dedup/minhash';
import type { AcceptSummary, BuildSettings } from '../workflows/build-settings';
import { writeAcceptances, writeDuplicates } from './build-writes';
import type { ActivityDeps } from './deps';
import { recordTableName } from './tables';

interface CachedDedup {
  dedup: Deduplicator;
  /** How many accepted records the index holds; a mismatch with the workflow's count means rebuild. */
  acceptedCount: number;
}

/**
 * One dedup index per dataset per worker process. Rebuilt from PostgreSQL when this worker has not seen the
 * latest acceptances (another worker accepted a batch, or this process restarted).
 */
const cache = new Map<string, CachedDedup>();

async function dedupFor(deps: ActivityDeps, settings: BuildSettings, acceptedSoFar: number, ctx: Context): Promise<Deduplicator> {
  const key = `${settings.datasetId}:${JSON.stringify(settings.dedup)}`;
  const hit = cache.get(key);
  if (hit && hit.acceptedCount === acceptedSoFar) return hit.dedup;
  const dedup = await Deduplicator.open({
    settings: {
      exact: settings.dedup.exact,
      minhash: { enabled: settings.dedup.minhash.enabled, threshold: settings.dedup.minhash.threshold, numPerm: deps.config.dedup.minhash.num_perm, bands: deps.config.dedup.minhash.bands },
      semantic: settings.dedup.semantic,
    },
  });
  const { sql } = deps.database;
  let loaded = 0;
  // Stream the accepted set in pages so a 100k-record dataset does not need one giant result in memory.
  let lastSeq = 0;
  for (;;) {
    const rows = await sql<{ id: string; content_hash: string; minhash: Buffer | null; embedding: number[] | null; accept_seq: number }[]>`
      select id, content_hash, minhash, embedding, accept_seq from records
      where dataset_id = ${settings.datasetId} and status = 'accepted' and accept_seq > ${lastSeq}
      order by accept_seq limit 5000`;
    if (rows.length === 0) break;
    dedup.addAccepted(
      rows.map((r) => ({
        id: r.id,
        contentHash: r.content_hash,
        minhash: r.minhash ? signatureFromBuffer(r.minhash) : undefined,
        vector: r.embedding ?? undefined,
      })),
    );
    loaded += rows.length;
    lastSeq = rows[rows.length - 1].accept_seq;
    ctx.heartbeat({ stage: 'load-dedup', loaded });
  }
  cache.set(key, { dedup, acceptedCount: loaded });
  return dedup;
}

/** Accepted vectors reach LanceDB in bulk, each time this many more records are accepted, and at the end. */
export const VECTOR_SYNC_EVERY = 2000;

/**
 * Accepts one or more processed batches, in the order given: their candidates are deduplicated against
 * everything accepted before and against each other, and at most `remaining` are accepted. Several batches
 * in one call is how acceptance keeps up when batches finish faster than one acceptance takes: the fixed
 * costs (a transaction, a workflow round trip) are paid once for all of them.
 */
export async function acceptCandidates(
  deps: ActivityDeps,
  args: { batchIds?: string[]; batchId?: string; settings: BuildSettings; remaining: number; acceptSeqStart: number },
  ctx: Context,
): Promise<AcceptSummary> {
  const { sql } = deps.database;
  const { settings } = args;
  // `batchId` alone: an acceptance scheduled by a workflow from before batches were accepted in groups.
  const batchIds = args.batchIds ?? (args.batchId ? [args.batchId] : []);
  if (batchIds.length === 0) throw new Error('acceptBatch needs batchIds: the processed batches to accept, in order');
  const batches = await sql<{ id: string; status: string; accept_summary: AcceptSummary | null }[]>`
    select id, status, accept_summary from batches where id in ${sql(batchIds)}`;
  const missing = batchIds.filter((id) => !batches.some((b) => b.id === id));
  if (missing.length) throw new Error(`batch ${missing.join(', ')} has not been processed`);
  // One transaction accepts the whole group, so a retry finds all of it accepted or none of it.
  const done = batches.find((b) => b.status === 'accepted' && b.accept_summary);
  if (done) return { ...done.accept_summary!, batchIds: done.accept_summary!.batchIds ?? [done.id] };

  const dedup = await dedupFor(deps, settings, args.acceptSeqStart - 1, ctx);
  const order = new Map(batchIds.map((id, i) => [id, i]));
  const candidates = (
    await sql<{ id: string; batch_id: string; position: number; content_hash: string; minhash: Buffer; embedding: number[] | null }[]>`
      select id, batch_id, position, content_hash, minhash, embedding from records
      where batch_id in ${sql(batchIds)} and status = 'candidate'`
  ).sort((x, y) => order.get(x.batch_id)! - order.get(y.batch_id)! || x.position - y.position);

  const verdicts = dedup.check(
    candidates.map((c) => ({
      id: c.id,
      text: '',
      contentHash: c.content_hash,
      minhash: signatureFromBuffer(c.minhash),
      vector: c.embedding ?? undefined,
    })),
  );
  const duplicates = verdicts.filter((v) => v.duplicateOf);
  const unique = verdicts.filter((v) => !v.duplicateOf).map((v) => v.id);
  const acceptIds = unique.slice(0, Math.max(0, args.remaining));
  const surplusIds = unique.slice(acceptIds.length);

  const dupCounts: Record<string, number> = {};
  for (const d of duplicates) dupCounts[d.reason!] = (dupCounts[d.reason!] ?? 0) + 1;
  const summary: AcceptSummary = { batchId: batchIds[0], batchIds, accepted: acceptIds.length, surplus: surplusIds.length, duplicates: dupCounts };

  await sql.begin(async (tx) => {
    await writeDuplicates(
      tx,
      duplicates.map((d) => ({
        id: d.id,
        reason: d.reason!,
        detail: `duplicate of ${d.duplicateOf}${d.similarity !== undefined ? ` (similarity ${d.similarity.toFixed(3)})` : ''}`,
      })),
    );
    await writeAcceptances(tx, acceptIds, args.acceptSeqStart);
    if (surplusIds.length) {
      await tx`update records set status = 'surplus', reject_reason = 'target_reached' where id in ${tx(surplusIds)}`;
    }
    await tx`update batches set status = 'accepted', accept_summary = ${tx.json(summary as never)} where id in ${tx(batchIds)}`;
    await tx`update datasets set accepted_count = accepted_count + ${acceptIds.length}, updated_at = now() where id = ${settings.datasetId}`;
  });
  dedup.accept(acceptIds);
  const cached = [...cache.values()].find((c) => c.dedup === dedup);
  if (cached) cached.acceptedCount = args.acceptSeqStart - 1 + acceptIds.length;

  const acceptedBefore = args.acceptSeqStart - 1;
  if (Math.floor(acceptedBefore / VECTOR_SYNC_EVERY) !== Math.floor((acceptedBefore + acceptIds.length) / VECTOR_SYNC_EVERY)) {
    await syncAcceptedVectors(deps, settings.datasetId, ctx);
  }
  return summary;
}

/**
 * Brings the dataset's LanceDB table up to date with the accepted records in PostgreSQL (the source of truth),
 * in accept order from where the table stops. An upsert merges on id over the whole table, so it is done in
 * bulk every VECTOR_SYNC_EVERY acceptances and once at the end, not per batch; idempotent, and it repairs a
 * sync a crash cut short.
 */
export async function syncAcceptedVectors(deps: ActivityDeps, datasetId: string, ctx?: Context): Promise<number> {
  const { sql } = deps.database;
  const store = await deps.vectors();
  const table = recordTableName(datasetId);
  let after = await store.count(table);
  let synced = 0;
  for (;;) {
    const rows = await sql<{ id: string; embedding: number[]; content: unknown; accept_seq: number }[]>`
      select id, embedding, content, accept_seq from records
      where dataset_id = ${datasetId} and status = 'accepted' and accept_seq > ${after} and embedding is not null
      order by accept_seq limit 5000`;
    if (rows.length === 0) return synced;
    await store.upsert(table, rows.map((r) => ({ id: r.id, vector: r.embedding, text: JSON.stringify(r.content) })));
    synced += rows.length;
    after = rows[rows.length - 1].accept_seq;
    ctx?.heartbeat({ stage: 'sync-vectors', synced });
  }
}
