// The MinHash LSH index of a dataset's accepted records, reduced to what finding near-duplicate candidates needs:
// the band keys in sorted runs, and each signature's slots cut to their low 8 bits, all in typed arrays keyed by
// accept_seq (no ids, no hashes, no per-record objects): about 0.45 KB per accepted record. An 8-bit slot matches
// whenever the full one does, so the estimate here is never below the true one and no near duplicate is missed
// (two different slots agree on their low 8 bits 1 time in 256, which lifts a non-duplicate's estimate by < 0.4 %
// of the slots); the few records it names are then compared on their full signatures (read from PostgreSQL by the
// caller).
import { BandKeyRuns } from './band-key-runs';
import { estimateJaccard } from './minhash';
import { assertBanding, assertSignatureLength, lshBandKeys } from './minhash-index';
import { VisitMarks } from './visit-marks';

export class AcceptedBandIndex {
  readonly numPerm: number;
  readonly bands: number;
  private readonly bandKeys: BandKeyRuns;
  /** refs[item]: the accept_seq the item was added under. */
  private refs: Int32Array;
  /** The low 8 bits of each item's signature slots, numPerm per item. */
  private slots: Uint8Array;
  private readonly visits: VisitMarks;

  constructor(options: { numPerm: number; bands: number; expectedItems?: number }) {
    this.numPerm = options.numPerm;
    this.bands = options.bands;
    assertBanding(this.numPerm, this.bands);
    const expected = Math.max(16, options.expectedItems ?? 1024);
    this.bandKeys = new BandKeyRuns(this.bands);
    this.refs = new Int32Array(expected);
    this.slots = new Uint8Array(expected * this.numPerm);
    this.visits = new VisitMarks(expected);
  }

  get size(): number {
    return this.bandKeys.size;
  }

  /** Bytes held in typed arrays (band runs, refs, slots, visit marks): what a byte-limited cache counts. */
  get estimatedBytes(): number {
    return this.bandKeys.bytes + this.refs.byteLength + this.slots.byteLength + this.visits.capacity * 4;
  }

  /** Adds an accepted record's signature under its accept_seq. */
  add(ref: number, sig: Uint32Array): void {
    assertSignatureLength(sig, this.numPerm);
    const item = this.bandKeys.insert(lshBandKeys(sig, this.bands));
    if (item >= this.refs.length) {
      // 1.5× rather than 2×: these arrays are most of what a large dataset's index holds.
      const capacity = Math.ceil(this.refs.length * 1.5);
      const grown = new Int32Array(capacity);
      grown.set(this.refs);
      this.refs = grown;
      const slots = new Uint8Array(capacity * this.numPerm);
      slots.set(this.slots);
      this.slots = slots;
      this.visits.grow(capacity);
    }
    this.refs[item] = ref;
    const base = item * this.numPerm;
    for (let i = 0; i < this.numPerm; i++) this.slots[base + i] = sig[i] & 0xff;
  }

  /**
   * The refs of the records sharing a band with `sig` whose 8-bit estimate of the Jaccard similarity is at least
   * `threshold`, each once: a superset of the near duplicates at that threshold, to be confirmed on full signatures.
   */
  candidates(sig: Uint32Array, threshold: number): number[] {
    assertSignatureLength(sig, this.numPerm);
    const keys = lshBandKeys(sig, this.bands);
    const needed = Math.ceil(threshold * this.numPerm - 1e-9);
    const found: number[] = [];
    this.visits.startQuery();
    for (let band = 0; band < this.bands; band++) {
      this.bandKeys.forEachWithKey(band, keys[band], (item) => {
        if (!this.visits.firstVisit(item)) return;
        const base = item * this.numPerm;
        let equal = 0;
        for (let i = 0; i < this.numPerm; i++) if (this.slots[base + i] === (sig[i] & 0xff)) equal++;
        if (equal >= needed) found.push(this.refs[item]);
      });
    }
    return found;
  }
}

/** An accepted record a candidate nearly duplicates, with their estimated Jaccard similarity. */
export interface NearMatch {
  id: string;
  similarity: number;
}

/**
 * The confirm step after the band index: among the accepted records it named (`refs`, by accept_seq), the one most
 * similar to `signature` on full signatures at `threshold` or above. `acceptedAt` gives a ref's id and full signature;
 * a ref it does not know (left the accepted set, or stored without a signature) is skipped.
 */
export function bestNearMatch(
  signature: Uint32Array,
  refs: Iterable<number>,
  acceptedAt: (ref: number) => { id: string; minhash: Uint32Array } | undefined,
  threshold: number,
): NearMatch | undefined {
  let best: NearMatch | undefined;
  for (const ref of refs) {
    const accepted = acceptedAt(ref);
    if (!accepted) continue;
    const similarity = estimateJaccard(signature, accepted.minhash);
    if (similarity >= threshold && (!best || similarity > best.similarity)) best = { id: accepted.id, similarity };
  }
  return best;
}
