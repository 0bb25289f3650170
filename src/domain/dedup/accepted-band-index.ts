// The MinHash LSH index of a dataset's accepted records, reduced to what finding near-duplicate candidates needs:
// the band buckets, and each signature's slots cut to their low 16 bits, all in typed arrays keyed by accept_seq
// (no ids, no hashes, no per-record objects): about 0.75 KB per accepted record. A 16-bit slot matches whenever the
// full one does, so the estimate here is never below the true one and no near duplicate is missed; the few records
// it names are then compared on their full signatures (read from PostgreSQL by the caller).
import { BucketTables } from './bucket-tables';
import { assertBanding, assertSignatureLength, lshBandKeys } from './minhash-index';
import { VisitMarks } from './visit-marks';

export class AcceptedBandIndex {
  readonly numPerm: number;
  readonly bands: number;
  private readonly buckets: BucketTables;
  /** refs[item]: the accept_seq the item was added under. */
  private refs: Int32Array;
  /** The low 16 bits of each item's signature slots, numPerm per item. */
  private slots: Uint16Array;
  private readonly visits: VisitMarks;

  constructor(options: { numPerm: number; bands: number; expectedItems?: number }) {
    this.numPerm = options.numPerm;
    this.bands = options.bands;
    assertBanding(this.numPerm, this.bands);
    const expected = Math.max(16, options.expectedItems ?? 1024);
    this.buckets = new BucketTables(this.bands, expected);
    this.refs = new Int32Array(expected);
    this.slots = new Uint16Array(expected * this.numPerm);
    this.visits = new VisitMarks(expected);
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Bytes held in typed arrays (bucket tables, chains, refs, visit marks): what a byte-limited cache counts. */
  get estimatedBytes(): number {
    return this.buckets.bytes + this.refs.byteLength + this.slots.byteLength + this.visits.capacity * 4;
  }

  /** Adds an accepted record's signature under its accept_seq. */
  add(ref: number, sig: Uint32Array): void {
    assertSignatureLength(sig, this.numPerm);
    const item = this.buckets.insert(lshBandKeys(sig, this.bands));
    if (item >= this.refs.length) {
      const grown = new Int32Array(this.refs.length * 2);
      grown.set(this.refs);
      this.refs = grown;
      const slots = new Uint16Array(grown.length * this.numPerm);
      slots.set(this.slots);
      this.slots = slots;
      this.visits.grow(grown.length);
    }
    this.refs[item] = ref;
    const base = item * this.numPerm;
    for (let i = 0; i < this.numPerm; i++) this.slots[base + i] = sig[i] & 0xffff;
  }

  /**
   * The refs of the records sharing a band with `sig` whose 16-bit estimate of the Jaccard similarity is at least
   * `threshold`, each once: a superset of the near duplicates at that threshold, to be confirmed on full signatures.
   */
  candidates(sig: Uint32Array, threshold: number): number[] {
    assertSignatureLength(sig, this.numPerm);
    const keys = lshBandKeys(sig, this.bands);
    const needed = Math.ceil(threshold * this.numPerm - 1e-9);
    const found: number[] = [];
    this.visits.startQuery();
    for (let band = 0; band < this.bands; band++) {
      this.buckets.forEachInBucket(band, keys[band], (item) => {
        if (!this.visits.firstVisit(item)) return;
        const base = item * this.numPerm;
        let equal = 0;
        for (let i = 0; i < this.numPerm; i++) if (this.slots[base + i] === (sig[i] & 0xffff)) equal++;
        if (equal >= needed) found.push(this.refs[item]);
      });
    }
    return found;
  }
}
