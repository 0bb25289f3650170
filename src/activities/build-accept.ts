// Accepting processed batches: dedupe their candidates against everything the dataset accepted before and
// against each other (exact hash, MinHash LSH, embeddings), then accept at most the remaining target in a
// fixed order. The workflow runs one acceptance at a time per dataset, which is what makes "exactly N" hold.
// Every worker sees the same accepted set: exact hashes are looked up in PostgreSQL, MinHash signatures are read
// there for the records whose LSH bands a candidate shares (the bands are a bounded cache in the worker), and
// semantic matches are searched in the dataset's LanceDB table (accepted-vectors.ts).
import type { Context } from '@temporalio/activity';
import { AcceptedBandIndex, ByteLimitedCache, Deduplicator, signatureFromBuffer } from '../domain/dedup';
import type { AcceptSummary, BuildSettings } from '../workflows/build-settings';
import { acceptCandidatesInOrder, invariantViolated, lockAcceptedSet, recountAccepted } from './accepted-set';
import { acceptedNearDuplicates, acceptedWithHashes, type AcceptedNear } from './accepted-lookups';
import { writeDuplicates } from './build-writes';
import type { ActivityDeps } from './deps';
import {
  findAcceptedMatches,
  maintainDatasetVectorTables,
  readCandidateVectors,
  VECTOR_MAINTENANCE_EVERY,
  writeAcceptedVectors,
  type AcceptedMatch,
} from './accepted-vectors';
import { reportProgress } from './keep-alive';

interface CachedBands {
  /** The LSH bands of the accepted set's MinHash signatures, by accept_seq. */
  bands: AcceptedBandIndex;
  /** The dataset's accepted_version the cache reflects. */
  version: number;
  /** How many accepted records it holds, and the last of them by accept_seq: where catching up starts. */
  count: number;
  lastSeq: number;
  lastId: string | null;
}

/**
 * The MinHash bands of the datasets this worker accepts for, a cache of what PostgreSQL holds, bounded in bytes
 * (dedup.cache_mb) with the least recently used dataset evicted first. Created with the first acceptance's config.
 */
let cache: ByteLimitedCache<CachedBands> | null = null;

function bandCache(deps: ActivityDeps): ByteLimitedCache<CachedBands> {
  cache ??= new ByteLimitedCache<CachedBands>(deps.config.dedup.cache_mb * 1024 * 1024, (entry) => entry.bands.estimatedBytes);
  return cache;
}

/**
 * The dataset's accepted bands at `state`: the cached ones when current, the cached ones caught up with the
 * records accepted since (when nothing left the set meanwhile), or ones loaded from PostgreSQL.
 */
async function bandsFor(
  deps: ActivityDeps,
  datasetId: string,
  state: { version: number; accepted: number },
  ctx: Context,
): Promise<{ entry: CachedBands; key: string }> {
  const { num_perm: numPerm, bands } = deps.config.dedup.minhash;
  const key = `${datasetId}:${numPerm}:${bands}`;
  // Taken out of the cache while in use, so an acceptance that does not commit cannot leave it half-updated.
  const hit = bandCache(deps).take(key);
  if (hit && hit.version === state.version) return { entry: hit, key };
  if (hit && (await onlyGrewSince(deps, datasetId, hit))) {
    const caughtUp = await loadAccepted(deps, datasetId, hit, ctx);
    if (caughtUp.count === state.accepted) return { entry: { ...caughtUp, version: state.version }, key };
  }
  const fresh = new AcceptedBandIndex({ numPerm, bands, expectedItems: state.accepted });
  const loaded = await loadAccepted(deps, datasetId, { bands: fresh, version: state.version, count: 0, lastSeq: 0, lastId: null }, ctx);
  return { entry: { ...loaded, version: state.version }, key };
}

/**
 * Whether the records the cache holds are all still accepted under the same numbers: removals renumber the set
 * (compactAcceptSeq), which moves another record onto the cache's last number.
 */
async function onlyGrewSince(deps: ActivityDeps, datasetId: string, entry: CachedBands): Promise<boolean> {
  if (entry.lastId === null) return true;
  const { sql } = deps.database;
  const [row] = await sql<{ id: string }[]>`
    select id from records where dataset_id = ${datasetId} and status = 'accepted' and accept_seq = ${entry.lastSeq}`;
  return row?.id === entry.lastId;
}

/** Adds the accepted records numbered after `from.lastSeq`, streamed in pages so memory holds one page of rows. */
async function loadAccepted(deps: ActivityDeps, datasetId: string, from: CachedBands, ctx: Context): Promise<CachedBands> {
  const { sql } = deps.database;
  let { count, lastSeq, lastId } = from;
  for (;;) {
    const rows = await sql<{ id: string; minhash: Buffer | null; accept_seq: number }[]>`
      select id, minhash, accept_seq from records
      where dataset_id = ${datasetId} and status = 'accepted' and accept_seq > ${lastSeq}
      order by accept_seq limit 5000`;
    if (rows.length === 0) break;
    // A record stored without a signature (adopted or augmented before those carried one) has no bands: near dedup
    // misses it, exact dedup still finds it by its hash.
    for (const row of rows) if (row.minhash) from.bands.add(row.accept_seq, signatureFromBuffer(row.minhash));
    count += rows.length;
    lastSeq = rows[rows.length - 1].accept_seq;
    lastId = rows[rows.length - 1].id;
    reportProgress(ctx, { stage: 'load-dedup', loaded: count });
  }
  return { ...from, count, lastSeq, lastId };
}

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

  const [dataset] = await sql<{ accepted_version: number; accepted_count: number }[]>`
    select accepted_version, accepted_count from datasets where id = ${datasetId}`;
  const version = dataset.accepted_version;
  const order = new Map(batchIds.map((id, i) => [id, i]));
  const candidates = (
    await sql<{ id: string; batch_id: string; position: number; content_hash: string; minhash: Buffer; content: unknown }[]>`
      select id, batch_id, position, content_hash, minhash, content from records
      where batch_id in ${sql(batchIds)} and status = 'candidate'`
  ).sort((x, y) => order.get(x.batch_id)! - order.get(y.batch_id)! || x.position - y.position);

  // Semantic: each candidate's nearest accepted record comes from LanceDB; the Deduplicator compares the
  // candidates with each other, so two near-identical candidates of one acceptance are not both accepted.
  const semantic = settings.dedup.semantic.enabled && candidates.length > 0;
  const store = semantic ? await deps.vectors() : null;
  let vectors = new Map<string, Float32Array>();
  let acceptedMatches = new Map<string, AcceptedMatch>();
  if (store) {
    reportProgress(ctx, { stage: 'semantic-search', candidates: candidates.length });
    vectors = await readCandidateVectors(
      store,
      datasetId,
      candidates.map((c) => c.id),
    );
    acceptedMatches = await findAcceptedMatches(
      store,
      sql,
      datasetId,
      candidates.map((c) => ({ id: c.id, vector: vectors.get(c.id)! })),
      settings.dedup.semantic.threshold,
    );
  }
  const signatures = new Map(candidates.map((c) => [c.id, signatureFromBuffer(c.minhash)]));
  const acceptedHashes = settings.dedup.exact
    ? await acceptedWithHashes(
        sql,
        datasetId,
        candidates.map((c) => c.content_hash),
      )
    : new Map<string, string>();
  let acceptedNear = new Map<string, AcceptedNear>();
  let cached: { entry: CachedBands; key: string } | null = null;
  if (settings.dedup.minhash.enabled && candidates.length > 0) {
    cached = await bandsFor(deps, datasetId, { version, accepted: dataset.accepted_count }, ctx);
    acceptedNear = await acceptedNearDuplicates(
      sql,
      datasetId,
      cached.entry.bands,
      candidates.map((c) => ({ id: c.id, minhash: signatures.get(c.id)! })),
      settings.dedup.minhash.threshold,
    );
  }
  // The Deduplicator holds this acceptance's candidates only: it compares them with each other, and takes their
  // matches in the accepted set from the lookups above.
  const dedup = await Deduplicator.open({
    settings: {
      exact: settings.dedup.exact,
      minhash: {
        enabled: settings.dedup.minhash.enabled,
        threshold: settings.dedup.minhash.threshold,
        numPerm: deps.config.dedup.minhash.num_perm,
        bands: deps.config.dedup.minhash.bands,
      },
      semantic: settings.dedup.semantic,
    },
    acceptedSet: 'caller',
  });
  const verdicts = dedup.check(
    candidates.map((c) => ({
      id: c.id,
      text: '',
      contentHash: c.content_hash,
      minhash: signatures.get(c.id),
      vector: vectors.get(c.id),
      acceptedExact: acceptedHashes.get(c.content_hash),
      acceptedNear: acceptedNear.get(c.id),
      acceptedMatch: acceptedMatches.get(c.id),
    })),
  );
  const duplicates = verdicts.filter((v) => v.duplicateOf);
  const unique = verdicts.filter((v) => !v.duplicateOf).map((v) => v.id);

  const committed = await sql
    .begin(async (tx) => {
      const state = await lockAcceptedSet(tx, datasetId);
      // Another attempt of this acceptance may have committed while this one was deduplicating.
      const [again] = await tx<{ summary: AcceptSummary }[]>`select summary from acceptances where id = ${acceptanceId}`;
      if (again) return { summary: again.summary, fresh: false };
      // The dedup state was read for another state of the accepted set: the retry catches it up.
      if (state.version !== version) throw new Error(`the accepted set of "${datasetId}" changed during acceptance ${acceptanceId}; retrying`);
      const target = args.target ?? state.accepted + Math.max(0, args.remaining);
      const acceptIds = unique.slice(0, Math.max(0, target - state.accepted));
      const surplusIds = unique.slice(acceptIds.length);
      const dupCounts: Record<string, number> = {};
      for (const d of duplicates) dupCounts[d.reason!] = (dupCounts[d.reason!] ?? 0) + 1;

      // The accepted vectors are written beside the PostgreSQL statements and land before the commit: once another
      // worker sees these records accepted, it finds their vectors. Should the commit fail after this, the rows stay
      // behind unmatched (findAcceptedMatches ignores them).
      const writeVectors = async () => {
        if (!store || acceptIds.length === 0) return;
        const contentById = new Map(candidates.map((c) => [c.id, c.content]));
        await writeAcceptedVectors(
          store,
          datasetId,
          acceptIds.map((id) => ({ id, vector: vectors.get(id)!, text: JSON.stringify(contentById.get(id)) })),
          { firstAttempt: ctx.info.attempt === 1 },
        );
      };
      const writeDecisions = async () => {
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
        const recount = await recountAccepted(tx, datasetId);
        // The dataset row carries the live target (setTarget may have moved it since the build was prepared).
        await tx`update datasets set target = ${target} where id = ${datasetId}`;
        if (recount.accepted > target)
          throw invariantViolated(`acceptance ${acceptanceId} would leave ${recount.accepted} accepted records, over the target ${target}`);
        return recount;
      };
      // Both settle before the transaction ends: no write of this attempt may land after it gave up the dataset's
      // lock, where it would follow the next attempt's (which merges, so one row per record holds only then).
      const [decisions, vectorsWritten] = await Promise.allSettled([writeDecisions(), writeVectors()]);
      if (decisions.status === 'rejected') throw decisions.reason;
      if (vectorsWritten.status === 'rejected') throw vectorsWritten.reason;
      const { accepted: acceptedTotal, version: newVersion } = decisions.value;
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
      const lastSeq = acceptIds.length ? state.nextSeq + acceptIds.length - 1 : undefined;
      return { summary, fresh: true, acceptIds, newVersion, acceptedBefore: state.accepted, lastSeq };
    })
    .catch((err: unknown) => {
      // The cached bands are still right for the version they were loaded at: the retry catches them up instead of
      // reloading the whole accepted set.
      if (cached) bandCache(deps).set(cached.key, cached.entry);
      throw err;
    });
  if (!committed.fresh) {
    // Another attempt committed this acceptance: the bands are still right for the set before it; the next
    // acceptance catches them up.
    if (cached) bandCache(deps).set(cached.key, cached.entry);
    return committed.summary;
  }
  const accepted = committed.acceptIds!;
  if (cached) {
    const { entry } = cached;
    accepted.forEach((id, i) => entry.bands.add(committed.lastSeq! - accepted.length + 1 + i, signatures.get(id)!));
    bandCache(deps).set(cached.key, {
      bands: entry.bands,
      version: committed.newVersion!,
      count: committed.summary.acceptedTotal ?? entry.count + accepted.length,
      lastSeq: committed.lastSeq ?? entry.lastSeq,
      lastId: accepted.length ? accepted[accepted.length - 1] : entry.lastId,
    });
  }

  const before = committed.acceptedBefore!;
  if (store && Math.floor(before / VECTOR_MAINTENANCE_EVERY) !== Math.floor((before + accepted.length) / VECTOR_MAINTENANCE_EVERY)) {
    await maintainDatasetVectorTables(deps, datasetId, ctx);
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
