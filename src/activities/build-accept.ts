// Accepting processed batches: dedupe their candidates against everything the dataset accepted before and
// against each other (exact hash, MinHash LSH, embeddings), then accept at most the remaining target in a
// fixed order. The workflow runs one acceptance at a time per dataset, which is what makes "exactly N" hold.
import type { Context } from '@temporalio/activity';
import { Deduplicator } from '../domain/dedup';
import { signatureFromBuffer } from '../domain/dedup';
import type { AcceptSummary, BuildSettings } from '../workflows/build-settings';
import { acceptCandidatesInOrder, invariantViolated, lockAcceptedSet, recountAccepted } from './accepted-set';
import { writeDuplicates } from './build-writes';
import type { ActivityDeps } from './deps';
import { reportProgress } from './keep-alive';
import { recordTableName } from '../infra/vectors';

interface CachedDedup {
  dedup: Deduplicator;
  /** The dataset's accepted_version the index reflects; any other version means rebuild. */
  version: number;
}

/**
 * One dedup index per dataset per worker process, a cache of what PostgreSQL holds: valid only while the dataset's
 * accepted_version is the one it was built at (another worker's acceptance, a curation or a restart all change it).
 */
const cache = new Map<string, CachedDedup>();

async function dedupFor(deps: ActivityDeps, settings: BuildSettings, version: number, ctx: Context): Promise<{ dedup: Deduplicator; key: string }> {
  const key = `${settings.datasetId}:${JSON.stringify(settings.dedup)}`;
  const hit = cache.get(key);
  if (hit && hit.version === version) return { dedup: hit.dedup, key };
  cache.delete(key);
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
    reportProgress(ctx, { stage: 'load-dedup', loaded });
  }
  cache.set(key, { dedup, version });
  return { dedup, key };
}

/** Accepted vectors reach LanceDB in bulk, each time this many more records are accepted, and at the end. */
export const VECTOR_SYNC_EVERY = 2000;

export interface AcceptArgs {
  /** The processed batches to accept, in order (`batchId`: one batch, from workflows started before groups). */
  batchIds?: string[];
  batchId?: string;
  settings: BuildSettings;
  /** This acceptance's id; absent from workflows started before acceptances had ids. */
  acceptanceId?: string;
  /** The build's live target: the dataset's total of accepted records. */
  target?: number;
  /** Legacy: what was still missing as the workflow counted it. */
  remaining: number;
  acceptSeqStart?: number;
}

/**
 * Accepts one or more processed batches, in the order given: their candidates are deduplicated against
 * everything accepted before and against each other, and at most what the target still misses is accepted.
 * Several batches in one call is how acceptance keeps up when batches finish faster than one acceptance takes.
 *
 * Exactness comes from PostgreSQL, not from the caller: under the dataset row's lock the accepted count and the
 * next sequence number are read, the acceptance is capped at target − accepted, and its result is stored under its
 * own id, so a retry (or an attempt that outlived its heartbeat) returns what was committed instead of accepting
 * again.
 */
export async function acceptCandidates(deps: ActivityDeps, args: AcceptArgs, ctx: Context): Promise<AcceptSummary> {
  const { sql } = deps.database;
  const { settings } = args;
  const datasetId = settings.datasetId;
  const batchIds = args.batchIds ?? (args.batchId ? [args.batchId] : []);
  if (batchIds.length === 0) throw new Error('acceptBatch needs batchIds: the processed batches to accept, in order');
  const acceptanceId = args.acceptanceId ?? `${batchIds[0]}/accept`;

  const stored = await storedAcceptance(deps, acceptanceId, batchIds);
  if (stored) return stored;
  const batches = await sql<{ id: string; status: string }[]>`select id, status from batches where id in ${sql(batchIds)}`;
  const notReady = batchIds.filter((id) => batches.find((b) => b.id === id)?.status !== 'processed');
  if (notReady.length) throw invariantViolated(`acceptance ${acceptanceId}: batch ${notReady.join(', ')} is not a processed batch waiting for acceptance`);

  const [{ accepted_version: version }] = await sql<{ accepted_version: number }[]>`select accepted_version from datasets where id = ${datasetId}`;
  const { dedup, key } = await dedupFor(deps, settings, version, ctx);
  // Checked out of the cache while in use: check() indexes the candidates tentatively, so an acceptance that does
  // not commit leaves the index unusable. It goes back only after a commit.
  cache.delete(key);
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

  const committed = await sql.begin(async (tx) => {
    const state = await lockAcceptedSet(tx, datasetId);
    // Another attempt of this acceptance may have committed while this one was deduplicating.
    const [again] = await tx<{ summary: AcceptSummary }[]>`select summary from acceptances where id = ${acceptanceId}`;
    if (again) return { summary: again.summary, fresh: false };
    // The index was built for another state of the accepted set: let the retry rebuild it.
    if (state.version !== version) throw new Error(`the accepted set of "${datasetId}" changed during acceptance ${acceptanceId}; retrying`);
    const target = args.target ?? state.accepted + Math.max(0, args.remaining);
    const acceptIds = unique.slice(0, Math.max(0, target - state.accepted));
    const surplusIds = unique.slice(acceptIds.length);
    const dupCounts: Record<string, number> = {};
    for (const d of duplicates) dupCounts[d.reason!] = (dupCounts[d.reason!] ?? 0) + 1;

    await writeDuplicates(
      tx,
      duplicates.map((d) => ({
        id: d.id,
        reason: d.reason!,
        detail: `duplicate of ${d.duplicateOf}${d.similarity !== undefined ? ` (similarity ${d.similarity.toFixed(3)})` : ''}`,
      })),
    );
    await acceptCandidatesInOrder(tx, datasetId, acceptIds, state.nextSeq);
    if (surplusIds.length) {
      await tx`update records set status = 'surplus', reject_reason = 'target_reached'
        where id in ${tx(surplusIds)} and status = 'candidate'`;
    }
    const closed = await tx`update batches set status = 'accepted' where id in ${tx(batchIds)} and status = 'processed'`;
    if (closed.count !== batchIds.length) throw invariantViolated(`acceptance ${acceptanceId}: a batch was decided by someone else meanwhile`);
    const { accepted: acceptedTotal, version: newVersion } = await recountAccepted(tx, datasetId);
    // The dataset row carries the live target (setTarget may have moved it since the build was prepared).
    await tx`update datasets set target = ${target} where id = ${datasetId}`;
    if (acceptedTotal > target) throw invariantViolated(`acceptance ${acceptanceId} would leave ${acceptedTotal} accepted records, over the target ${target}`);
    const summary: AcceptSummary = {
      acceptanceId,
      batchId: batchIds[0],
      batchIds,
      accepted: acceptIds.length,
      surplus: surplusIds.length,
      duplicates: dupCounts,
      acceptedTotal,
    };
    await tx`insert into acceptances (id, dataset_id, build_id, batch_ids, summary)
      values (${acceptanceId}, ${datasetId}, ${settings.buildId ?? ''}, ${batchIds}, ${tx.json(summary as never)})`;
    // Kept on the batches too, for the records API and for workflows from before acceptances had ids.
    await tx`update batches set accept_summary = ${tx.json(summary as never)} where id in ${tx(batchIds)}`;
    return { summary, fresh: true, acceptIds, newVersion, acceptedBefore: state.accepted };
  });
  if (!committed.fresh) return committed.summary;
  dedup.accept(committed.acceptIds!);
  cache.set(key, { dedup, version: committed.newVersion! });

  const before = committed.acceptedBefore!;
  if (Math.floor(before / VECTOR_SYNC_EVERY) !== Math.floor((before + committed.summary.accepted) / VECTOR_SYNC_EVERY)) {
    await syncAcceptedVectors(deps, datasetId, ctx);
  }
  return committed.summary;
}

/** The committed result of an acceptance, if it already ran (looked up by its id, or for older workflows by its batches). */
async function storedAcceptance(deps: ActivityDeps, acceptanceId: string, batchIds: string[]): Promise<AcceptSummary | undefined> {
  const { sql } = deps.database;
  const [row] = await sql<{ summary: AcceptSummary }[]>`select summary from acceptances where id = ${acceptanceId}`;
  if (row) return row.summary;
  const [legacy] = await sql<{ id: string; accept_summary: AcceptSummary }[]>`
    select id, accept_summary from batches where id in ${sql(batchIds)} and status = 'accepted' and accept_summary is not null limit 1`;
  return legacy ? { ...legacy.accept_summary, batchIds: legacy.accept_summary.batchIds ?? [legacy.id] } : undefined;
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
    if (ctx) reportProgress(ctx, { stage: 'sync-vectors', synced });
  }
}
