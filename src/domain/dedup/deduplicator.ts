// The dedup stage of the build loop, for one dataset: holds the accepted set's content hashes, a MinHash
// LSH index and a semantic vector index, checks each new batch against them and against earlier records
// of the same batch (first come wins), and adds the records the loop finally accepts.
//
//   const dedup = await Deduplicator.open({ store, table: vectorTableName(datasetId, 'dedup'), settings });
//   dedup.addAccepted(rowsFromPostgres);          // { id, contentHash, minhash } of accepted records
//   const verdicts = dedup.check(batch);          // does not change the accepted set
//   dedup.accept(idsTheLoopKept);                 // usually the ids whose verdict has duplicateOf === null
//   await dedup.persistAccepted();                // their vectors into the LanceDB table
//
// check() tentatively indexes the batch's survivors so later batch items are compared with them, and
// accept() keeps exactly the ids given (rolling the rest back), so the accepted set never holds a record
// the loop did not accept.
import { textHash } from './normalize';
import { type MinHasher, minHasherFor } from './minhash';
import { MinHashIndex } from './minhash-index';
import { SemanticIndex, type PreparedVector } from './semantic-index';
import { resolveDedupSettings, type DedupSettings, type DedupSettingsInput } from './settings';
import type { VectorStore } from '../../infra/vectors';

export type DuplicateReason = 'exact_duplicate' | 'near_duplicate' | 'semantic_duplicate';

export interface DedupCandidate {
  id: string;
  /** The text hashed and shingled, normally `recordText(record.content)`. */
  text: string;
  /** `contentHash(record.content)` if already computed; otherwise computed from `text`. */
  contentHash?: string;
  /** A stored MinHash signature (same numPerm as the settings); otherwise computed from `text`. */
  minhash?: Uint32Array;
  /** The record's embedding; required when semantic dedup is enabled. */
  vector?: Float32Array | number[];
  /** With `acceptedSet: 'caller'`: an accepted record with the same content hash, found by the caller (absent: none). */
  acceptedExact?: string;
  /**
   * With `acceptedSet: 'caller'`: the most similar accepted record at or above the MinHash threshold, found by the
   * caller (absent: none).
   */
  acceptedNear?: { id: string; similarity: number };
  /**
   * With `acceptedSet: 'caller'`: the most similar accepted record at or above the semantic threshold, found
   * by the caller in its vector store (absent: none).
   */
  acceptedMatch?: { id: string; similarity: number };
}

export interface DedupVerdict {
  id: string;
  duplicateOf: string | null;
  reason: DuplicateReason | null;
  /** 1 for exact duplicates, estimated Jaccard for near duplicates, cosine for semantic ones. */
  similarity?: number;
  /** The candidate's content hash: store it with the record so the next open() can load it. */
  contentHash: string;
  /** The candidate's MinHash signature when it was computed (store as bytea via signatureToBuffer). */
  minhash?: Uint32Array;
}

export interface AcceptedItem {
  id: string;
  contentHash: string;
  /** Stored signature; if missing and `text` is given it is recomputed. */
  minhash?: Uint32Array;
  text?: string;
  vector?: Float32Array | number[];
}

export interface DedupStats {
  checked: number;
  duplicates: Record<DuplicateReason, number>;
  /** Wall time spent in each check, in milliseconds, summed over all check() calls. */
  millis: { exact: number; minhash: number; semantic: number };
  accepted: number;
}

interface PendingItem {
  candidate: DedupCandidate;
  verdict: DedupVerdict;
  prepared?: PreparedVector;
  /** Whether this item was tentatively added to the indexes during check(). */
  indexed: boolean;
}

export class Deduplicator {
  readonly settings: DedupSettings;
  private readonly store: VectorStore | undefined;
  private readonly table: string | undefined;
  private readonly hasher: MinHasher;
  private readonly acceptedHashes = new Map<string, string>();
  private readonly minhashIndex: MinHashIndex;
  private semanticIndex: SemanticIndex | null = null;
  /** semanticIds[item] is the record id of the semantic index's item. */
  private readonly semanticIds: string[] = [];
  private readonly semanticIdSet = new Set<string>();
  private pending: { items: PendingItem[]; batchHashes: Map<string, string>; minhashSize: number; semanticSize: number } | null = null;
  private unpersisted: { id: string; vector: Float32Array; text: string }[] = [];
  /**
   * Where the accepted set is looked up: this object's hashes and indexes, or the caller's stores (each candidate's
   * acceptedExact, acceptedNear and acceptedMatch).
   */
  private readonly acceptedSet: 'memory' | 'caller';
  private readonly statsValue: DedupStats = {
    checked: 0,
    duplicates: { exact_duplicate: 0, near_duplicate: 0, semantic_duplicate: 0 },
    millis: { exact: 0, minhash: 0, semantic: 0 },
    accepted: 0,
  };

  private constructor(settings: DedupSettings, store?: VectorStore, table?: string, acceptedSet: 'memory' | 'caller' = 'memory') {
    this.settings = settings;
    this.acceptedSet = acceptedSet;
    this.store = store;
    this.table = table;
    this.hasher = minHasherFor({ numPerm: settings.minhash.numPerm });
    this.minhashIndex = new MinHashIndex({ numPerm: settings.minhash.numPerm, bands: settings.minhash.bands });
  }

  /**
   * A deduplicator for one dataset. With `store` and `table`, the accepted set's vectors are loaded from
   * that LanceDB table (written by `persistAccepted`); hashes and MinHash signatures come from
   * `addAccepted` (they live with the records in PostgreSQL).
   *
   * `acceptedSet: 'caller'` keeps nothing of the accepted set (memory stays flat however large the dataset): the
   * caller looks each candidate up in its own stores and passes its `acceptedExact`, `acceptedNear` and
   * `acceptedMatch`; the hashes and indexes then hold only the candidates of the current check(), so they are
   * still compared with each other.
   */
  static async open(opts: {
    store?: VectorStore;
    table?: string;
    settings?: DedupSettingsInput | DedupSettings;
    acceptedSet?: 'memory' | 'caller';
  }): Promise<Deduplicator> {
    if ((opts.store === undefined) !== (opts.table === undefined)) {
      throw new Error('Deduplicator.open needs both store and table (to load and persist vectors) or neither');
    }
    if (opts.store && opts.acceptedSet === 'caller') {
      throw new Error("Deduplicator.open: acceptedSet 'caller' means the caller owns the accepted set; pass no store/table with it");
    }
    const dedup = new Deduplicator(resolveDedupSettings(opts.settings ?? {}), opts.store, opts.table, opts.acceptedSet);
    if (opts.store && opts.table && dedup.settings.semantic.enabled) {
      const stored = await opts.store.readVectors(opts.table);
      dedup.loadVectors(stored.ids, stored.vectors, stored.dims);
    }
    return dedup;
  }

  /** Number of accepted records known by content hash. */
  get acceptedCount(): number {
    return this.acceptedHashes.size;
  }

  /**
   * A rough size of what this object holds (hashes, MinHash signatures and bands, vectors), for callers that
   * keep several in a byte-limited cache.
   */
  get estimatedBytes(): number {
    const { numPerm, bands } = this.settings.minhash;
    const perHash = 250; // map entry, 64-char hex hash and a record id as JS strings
    const perSignature = numPerm * 4 + bands * 40 + 120; // signature, one bucket entry per band, id
    const perVector = (this.semanticIndex?.dims ?? 0) * 4 + 80; // unit vector, sketch, id
    return this.acceptedHashes.size * perHash + this.minhashIndex.size * perSignature + (this.semanticIndex?.size ?? 0) * perVector;
  }

  get stats(): DedupStats {
    return structuredClone(this.statsValue);
  }

  /** Loads already accepted records (e.g. from PostgreSQL). Discards a check() that was not accepted. */
  addAccepted(items: AcceptedItem[]): void {
    if (this.acceptedSet === 'caller') throw new Error("addAccepted: this Deduplicator's accepted set is the caller's (acceptedSet 'caller')");
    this.rollbackPending();
    for (const item of items) {
      if (!this.acceptedHashes.has(item.contentHash)) this.acceptedHashes.set(item.contentHash, item.id);
      if (this.settings.minhash.enabled && !this.minhashIndex.has(item.id)) {
        const sig = item.minhash ?? (item.text ? this.hasher.signature(item.text) : undefined);
        if (sig) this.minhashIndex.add(item.id, this.checkedSignature(item.id, sig));
      }
      if (this.settings.semantic.enabled && item.vector && !this.semanticIdSet.has(item.id)) {
        const index = this.semanticIndexFor(item.vector.length);
        index.add(index.prepare(item.vector));
        this.semanticIds.push(item.id);
        this.semanticIdSet.add(item.id);
      }
    }
  }

  /**
   * Verdicts for a batch, in order: each candidate is compared with the accepted set and with the
   * earlier candidates of this batch that were not duplicates themselves. Exact, then near, then
   * semantic; the first check that fires decides the reason. The accepted set is unchanged until accept().
   */
  check(batch: DedupCandidate[]): DedupVerdict[] {
    this.validateBatch(batch);
    this.rollbackPending();
    const pending = {
      items: [] as PendingItem[],
      batchHashes: new Map<string, string>(),
      minhashSize: this.minhashIndex.size,
      semanticSize: this.semanticIndex?.size ?? 0,
    };
    this.pending = pending;
    const { exact, minhash, semantic } = this.settings;
    for (const candidate of batch) {
      let started = performance.now();
      const hash = candidate.contentHash ?? textHash(candidate.text);
      const verdict: DedupVerdict = { id: candidate.id, duplicateOf: null, reason: null, contentHash: hash };
      const item: PendingItem = { candidate, verdict, indexed: false };
      pending.items.push(item);
      if (exact) {
        const accepted = this.acceptedSet === 'caller' ? candidate.acceptedExact : this.acceptedHashes.get(hash);
        const earlier = accepted ?? pending.batchHashes.get(hash);
        if (earlier !== undefined) Object.assign(verdict, { duplicateOf: earlier, reason: 'exact_duplicate', similarity: 1 });
      }
      this.statsValue.millis.exact += performance.now() - started;

      if (minhash.enabled && verdict.reason === null) {
        started = performance.now();
        verdict.minhash = this.candidateSignature(candidate);
        const accepted = this.acceptedSet === 'caller' ? candidate.acceptedNear : undefined;
        const best = accepted ? null : verdict.minhash && this.minhashIndex.query(verdict.minhash, minhash.threshold)[0];
        if (accepted) Object.assign(verdict, { duplicateOf: accepted.id, reason: 'near_duplicate', similarity: accepted.similarity });
        else if (best) Object.assign(verdict, { duplicateOf: best.id, reason: 'near_duplicate', similarity: best.jaccard });
        this.statsValue.millis.minhash += performance.now() - started;
      }

      if (semantic.enabled && verdict.reason === null) {
        started = performance.now();
        const index = this.semanticIndexFor(candidate.vector!.length);
        item.prepared = index.prepare(candidate.vector!);
        const accepted = this.acceptedSet === 'caller' ? candidate.acceptedMatch : undefined;
        const best = accepted ? null : index.nearest(item.prepared, semantic.threshold);
        if (accepted) Object.assign(verdict, { duplicateOf: accepted.id, reason: 'semantic_duplicate', similarity: accepted.similarity });
        else if (best) Object.assign(verdict, { duplicateOf: this.semanticIds[best.item], reason: 'semantic_duplicate', similarity: best.similarity });
        this.statsValue.millis.semantic += performance.now() - started;
      }

      this.statsValue.checked++;
      if (verdict.reason !== null) {
        this.statsValue.duplicates[verdict.reason]++;
      } else {
        this.indexTentatively(item, pending.batchHashes);
      }
    }
    return pending.items.map((item) => item.verdict);
  }

  /** Checks the whole batch before touching any state, so a bad batch changes nothing. */
  private validateBatch(batch: DedupCandidate[]): void {
    const seenIds = new Set<string>();
    for (const candidate of batch) {
      if (typeof candidate.id !== 'string' || candidate.id.length === 0) throw new Error('Every dedup candidate needs a non-empty string id');
      if (seenIds.has(candidate.id)) throw new Error(`Dedup batch contains id "${candidate.id}" twice; record ids must be unique within a batch`);
      seenIds.add(candidate.id);
      if (this.settings.semantic.enabled && !candidate.vector) {
        throw new Error(
          `Dedup candidate "${candidate.id}" has no vector but semantic dedup is enabled; embed the batch first (an embedding endpoint or the lexical embedder) or set semantic.enabled: false`,
        );
      }
    }
  }

  /**
   * Adds these candidates of the last check() to the accepted set, in batch order. Usually the ids
   * whose verdict was not a duplicate; accepting a duplicate is allowed (the caller overrides the
   * verdict). Candidates of the last check not listed are forgotten.
   */
  accept(ids: string[]): void {
    const pending = this.pending;
    if (pending === null) {
      if (ids.length === 0) return;
      throw new Error(`accept() called for ${ids.length} id(s) without a preceding check(); check the batch first`);
    }
    const wanted = new Set(ids);
    const known = new Set(pending.items.map((item) => item.candidate.id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new Error(`accept() got id(s) that were not in the last check(): ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ' …' : ''}`);
    }
    const keepsExactlyTheIndexed = pending.items.every((item) => item.indexed === wanted.has(item.candidate.id));
    if (!keepsExactlyTheIndexed) {
      // Rebuild the tentative part of the indexes with exactly the accepted items, in batch order.
      this.truncateIndexes(pending.minhashSize, pending.semanticSize);
      pending.batchHashes.clear();
      for (const item of pending.items) {
        item.indexed = false;
        if (wanted.has(item.candidate.id)) this.indexTentatively(item, pending.batchHashes);
      }
    }
    for (const item of pending.items) {
      if (!item.indexed) continue;
      if (this.acceptedSet === 'memory' && !this.acceptedHashes.has(item.verdict.contentHash)) {
        this.acceptedHashes.set(item.verdict.contentHash, item.candidate.id);
      }
      if (item.prepared) {
        this.semanticIdSet.add(item.candidate.id);
        // Kept for persistAccepted() only when there is a store to write them to.
        if (this.store) this.unpersisted.push({ id: item.candidate.id, vector: item.prepared.unit, text: item.candidate.text });
      }
      this.statsValue.accepted++;
    }
    this.pending = null;
    // The caller holds the accepted set: the next check starts from empty indexes.
    if (this.acceptedSet === 'caller') {
      this.truncateIndexes(0, 0);
      this.semanticIdSet.clear();
    }
  }

  /**
   * Upserts the vectors accepted since the last call into the store table, so the next open() sees
   * them. Idempotent (merge on id). Returns how many rows were written; 0 without a store.
   */
  async persistAccepted(): Promise<number> {
    if (!this.store || !this.table || this.unpersisted.length === 0) return 0;
    const rows = this.unpersisted;
    await this.store.upsert(
      this.table,
      rows.map((row) => ({ id: row.id, vector: row.vector, text: row.text })),
    );
    this.unpersisted = this.unpersisted.slice(rows.length);
    return rows.length;
  }

  private loadVectors(ids: string[], vectors: Float32Array, dims: number): void {
    if (ids.length === 0) return;
    const index = this.semanticIndexFor(dims, ids.length);
    const fresh: number[] = [];
    for (let i = 0; i < ids.length; i++) if (!this.semanticIdSet.has(ids[i])) fresh.push(i);
    const flat = new Float32Array(fresh.length * dims);
    fresh.forEach((row, i) => flat.set(vectors.subarray(row * dims, (row + 1) * dims), i * dims));
    index.addMany(flat, fresh.length);
    for (const row of fresh) {
      this.semanticIds.push(ids[row]);
      this.semanticIdSet.add(ids[row]);
    }
  }

  private indexTentatively(item: PendingItem, batchHashes: Map<string, string>): void {
    const { candidate, verdict } = item;
    if (!batchHashes.has(verdict.contentHash)) batchHashes.set(verdict.contentHash, candidate.id);
    if (this.settings.minhash.enabled) {
      verdict.minhash ??= this.candidateSignature(candidate);
      if (verdict.minhash) this.minhashIndex.add(candidate.id, verdict.minhash);
    }
    if (this.settings.semantic.enabled && candidate.vector) {
      const index = this.semanticIndexFor(candidate.vector.length);
      item.prepared ??= index.prepare(candidate.vector);
      index.add(item.prepared);
      this.semanticIds.push(candidate.id);
    }
    item.indexed = true;
  }

  private rollbackPending(): void {
    if (this.pending === null) return;
    this.truncateIndexes(this.pending.minhashSize, this.pending.semanticSize);
    this.pending = null;
  }

  private truncateIndexes(minhashSize: number, semanticSize: number): void {
    this.minhashIndex.truncate(minhashSize);
    this.semanticIndex?.truncate(semanticSize);
    this.semanticIds.length = Math.min(this.semanticIds.length, semanticSize);
  }

  private semanticIndexFor(dims: number, expectedItems?: number): SemanticIndex {
    if (this.semanticIndex === null) {
      this.semanticIndex = new SemanticIndex({ dims, expectedItems: Math.max(1024, expectedItems ?? 0) });
    } else if (this.semanticIndex.dims !== dims) {
      throw new Error(
        `Vector has ${dims} dimensions but this dataset's accepted vectors have ${this.semanticIndex.dims}; embed every record of a dataset with the same model (or drop its dedup vector table)`,
      );
    }
    return this.semanticIndex;
  }

  /** The candidate's stored signature, or one computed from its text; none for a candidate without text. */
  private candidateSignature(candidate: DedupCandidate): Uint32Array | undefined {
    if (candidate.minhash) return this.checkedSignature(candidate.id, candidate.minhash);
    return candidate.text.length > 0 ? this.hasher.signature(candidate.text) : undefined;
  }

  private checkedSignature(id: string, sig: Uint32Array): Uint32Array {
    if (sig.length !== this.settings.minhash.numPerm) {
      throw new Error(
        `Stored MinHash signature of "${id}" has ${sig.length} slots but settings say numPerm=${this.settings.minhash.numPerm}; recompute signatures or keep numPerm unchanged`,
      );
    }
    return sig;
  }
}
