// Accepting a processed batch: dedupe its candidates against everything the dataset accepted before and
// against each other (exact hash, MinHash LSH, embeddings), then accept at most the remaining target in a
// fixed order. The workflow runs one acceptance at a time per dataset, which is what makes "exactly N" hold.
import type { Context } from '@temporalio/activity';
import { Deduplicator } from '../dedup';
import { signatureFromBuffer } from '../dedup/minhash';
import type { AcceptSummary, BuildSettings } from '../workflows/build-settings';
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

export async function acceptCandidates(
  deps: ActivityDeps,
  args: { batchId: string; settings: BuildSettings; remaining: number; acceptSeqStart: number },
  ctx: Context,
): Promise<AcceptSummary> {
  const { sql } = deps.database;
  const { settings, batchId } = args;
  const [batch] = await sql<{ status: string; accept_summary: AcceptSummary | null }[]>`
    select status, accept_summary from batches where id = ${batchId}`;
  if (!batch) throw new Error(`batch ${batchId} has not been processed`);
  if (batch.status === 'accepted' && batch.accept_summary) return batch.accept_summary;

  const dedup = await dedupFor(deps, settings, args.acceptSeqStart - 1, ctx);
  const candidates = await sql<{ id: string; content_hash: string; minhash: Buffer; embedding: number[] | null; content: unknown }[]>`
    select id, content_hash, minhash, embedding, content from records
    where batch_id = ${batchId} and status = 'candidate' order by position`;

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

  // Vectors of the accepted records go to LanceDB first (upsert by id, harmless to repeat), so the dataset's
  // records are searchable; PostgreSQL then commits the decision in one transaction.
  const acceptedRows = candidates.filter((c) => acceptIds.includes(c.id) && c.embedding);
  if (acceptedRows.length) {
    const store = await deps.vectors();
    await store.upsert(
      recordTableName(settings.datasetId),
      acceptedRows.map((c) => ({ id: c.id, vector: c.embedding!, text: JSON.stringify(c.content) })),
    );
  }
  const dupCounts: Record<string, number> = {};
  for (const d of duplicates) dupCounts[d.reason!] = (dupCounts[d.reason!] ?? 0) + 1;
  const summary: AcceptSummary = { batchId, accepted: acceptIds.length, surplus: surplusIds.length, duplicates: dupCounts };

  await sql.begin(async (tx) => {
    for (const d of duplicates) {
      await tx`update records set status = 'rejected', reject_reason = ${d.reason},
        reject_detail = ${`duplicate of ${d.duplicateOf}${d.similarity !== undefined ? ` (similarity ${d.similarity.toFixed(3)})` : ''}`}
        where id = ${d.id}`;
    }
    for (let i = 0; i < acceptIds.length; i++) {
      await tx`update records set status = 'accepted', accept_seq = ${args.acceptSeqStart + i} where id = ${acceptIds[i]}`;
    }
    if (surplusIds.length) {
      await tx`update records set status = 'surplus', reject_reason = 'target_reached' where id in ${tx(surplusIds)}`;
    }
    await tx`update batches set status = 'accepted', accept_summary = ${tx.json(summary as never)} where id = ${batchId}`;
    await tx`update datasets set accepted_count = accepted_count + ${acceptIds.length}, updated_at = now() where id = ${settings.datasetId}`;
  });
  dedup.accept(acceptIds);
  const cached = [...cache.values()].find((c) => c.dedup === dedup);
  if (cached) cached.acceptedCount = args.acceptSeqStart - 1 + acceptIds.length;
  return summary;
}
