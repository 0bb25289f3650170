// Near-duplicate lookup over MinHash signatures with LSH banding: a signature is cut into `bands` bands
// of `rows` slots; two texts become candidates when any band matches exactly, and candidates are then
// verified by their estimated Jaccard similarity. With 32 bands × 4 rows a pair at Jaccard 0.8 becomes a
// candidate with probability 1 − (1 − 0.8⁴)³² ≈ 0.99999, a pair at 0.3 with probability ≈ 0.23.
import { BucketTables } from './bucket-tables';
import { SLOT_MASK } from './minhash';
import { VisitMarks } from './visit-marks';
import { fmix32 } from '../../infra/common';

export interface NearDuplicateMatch {
  id: string;
  /** Estimated Jaccard similarity of the two texts' shingle sets. */
  jaccard: number;
}

const SERIAL_MAGIC = 0x484d4344; // "DCMH" little-endian
const SERIAL_VERSION = 1;

export class MinHashIndex {
  readonly numPerm: number;
  readonly bands: number;
  private readonly buckets: BucketTables;
  private signatures: Uint32Array;
  private readonly ids: string[] = [];
  private readonly numberOfId = new Map<string, number>();
  /** An item sits in one bucket per band: each query looks at each candidate once. */
  private readonly visits: VisitMarks;

  constructor(options: { numPerm?: number; bands?: number; expectedItems?: number } = {}) {
    this.numPerm = options.numPerm ?? 128;
    this.bands = options.bands ?? 32;
    assertBanding(this.numPerm, this.bands);
    const expected = options.expectedItems ?? 1024;
    this.buckets = new BucketTables(this.bands, expected);
    this.signatures = new Uint32Array(Math.max(16, expected) * this.numPerm);
    this.visits = new VisitMarks(Math.max(16, expected));
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.numberOfId.has(id);
  }

  /** Adds a signature under `id`. Adding an id twice indexes both copies; the caller owns id uniqueness. */
  add(id: string, sig: Uint32Array): void {
    this.assertLength(sig);
    const item = this.ids.length;
    if ((item + 1) * this.numPerm > this.signatures.length) {
      const grown = new Uint32Array(this.signatures.length * 2);
      grown.set(this.signatures);
      this.signatures = grown;
      this.visits.grow(this.visits.capacity * 2);
    }
    this.signatures.set(sig, item * this.numPerm);
    this.ids.push(id);
    this.numberOfId.set(id, item);
    this.buckets.insert(this.bandKeys(sig));
  }

  /** Indexed items whose estimated Jaccard similarity to `sig` is ≥ `threshold`, most similar first. */
  query(sig: Uint32Array, threshold: number): NearDuplicateMatch[] {
    this.assertLength(sig);
    const matches: NearDuplicateMatch[] = [];
    this.visits.startQuery();
    const keys = this.bandKeys(sig);
    for (let band = 0; band < this.bands; band++) {
      this.buckets.forEachInBucket(band, keys[band], (item) => {
        if (!this.visits.firstVisit(item)) return;
        const jaccard = this.jaccardWith(item, sig);
        if (jaccard >= threshold) matches.push({ id: this.ids[item], jaccard });
      });
    }
    return matches.sort((a, b) => b.jaccard - a.jaccard);
  }

  /** The stored signature of `id`, or undefined. */
  signatureOf(id: string): Uint32Array | undefined {
    const item = this.numberOfId.get(id);
    if (item === undefined) return undefined;
    return this.signatures.slice(item * this.numPerm, (item + 1) * this.numPerm);
  }

  /** Removes the most recently added items until `size === newSize` (used to roll back a tentative batch). */
  truncate(newSize: number): void {
    if (newSize >= this.ids.length) return;
    this.buckets.truncate(newSize, (item) => this.bandKeys(this.signatures.subarray(item * this.numPerm, (item + 1) * this.numPerm)));
    for (let item = this.ids.length - 1; item >= newSize; item--) {
      const id = this.ids[item];
      if (this.numberOfId.get(id) === item) this.numberOfId.delete(id);
    }
    this.ids.length = newSize;
  }

  /**
   * A binary form: header, signatures (4 little-endian bytes per slot), then ids as JSON. 128 permutations cost
   * 512 bytes per item; the LSH buckets are rebuilt on load, which takes ~1 s per million items.
   */
  serialize(): Buffer {
    const idsJson = Buffer.from(JSON.stringify(this.ids), 'utf8');
    const header = Buffer.alloc(20);
    header.writeUInt32LE(SERIAL_MAGIC, 0);
    header.writeUInt32LE(SERIAL_VERSION, 4);
    header.writeUInt32LE(this.numPerm, 8);
    header.writeUInt32LE(this.bands, 12);
    header.writeUInt32LE(this.ids.length, 16);
    const body = Buffer.alloc(this.ids.length * this.numPerm * 4);
    for (let i = 0; i < this.ids.length * this.numPerm; i++) body.writeUInt32LE(this.signatures[i], i * 4);
    return Buffer.concat([header, body, idsJson]);
  }

  static deserialize(bytes: Uint8Array): MinHashIndex {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buffer.length < 20 || buffer.readUInt32LE(0) !== SERIAL_MAGIC) {
      throw new Error('Not a serialized MinHashIndex (bad header); pass the bytes MinHashIndex.serialize() produced');
    }
    const version = buffer.readUInt32LE(4);
    if (version !== SERIAL_VERSION) {
      throw new Error(`Serialized MinHashIndex has version ${version}; this build reads version ${SERIAL_VERSION}. Rebuild the index from stored signatures.`);
    }
    const numPerm = buffer.readUInt32LE(8);
    const bands = buffer.readUInt32LE(12);
    const count = buffer.readUInt32LE(16);
    const bodyEnd = 20 + count * numPerm * 4;
    const ids = JSON.parse(buffer.subarray(bodyEnd).toString('utf8')) as string[];
    if (ids.length !== count) throw new Error(`Serialized MinHashIndex is truncated: header says ${count} items, found ${ids.length} ids`);
    const index = new MinHashIndex({ numPerm, bands, expectedItems: count });
    const sig = new Uint32Array(numPerm);
    for (let item = 0; item < count; item++) {
      // Cut to the 16 bits a slot keeps now: an index serialized when slots held 32 bits still matches new signatures.
      for (let i = 0; i < numPerm; i++) sig[i] = buffer.readUInt32LE(20 + (item * numPerm + i) * 4) & SLOT_MASK;
      index.add(ids[item], sig);
    }
    return index;
  }

  private jaccardWith(item: number, sig: Uint32Array): number {
    const base = item * this.numPerm;
    let equal = 0;
    for (let i = 0; i < this.numPerm; i++) if (this.signatures[base + i] === sig[i]) equal++;
    return equal / this.numPerm;
  }

  private bandKeys(sig: Uint32Array): Uint32Array {
    return lshBandKeys(sig, this.bands);
  }

  private assertLength(sig: Uint32Array): void {
    assertSignatureLength(sig, this.numPerm);
  }
}

/** Throws unless `bands` bands cut a `numPerm`-slot signature evenly. */
export function assertBanding(numPerm: number, bands: number): void {
  if (!Number.isInteger(bands) || bands < 1 || numPerm % bands !== 0) {
    throw new Error(`MinHash LSH needs bands to divide numPerm evenly; got numPerm=${numPerm}, bands=${bands}. Try bands=32 with numPerm=128.`);
  }
}

/** Throws unless `sig` has the `numPerm` slots an index was built for. */
export function assertSignatureLength(sig: Uint32Array, numPerm: number): void {
  if (sig.length !== numPerm) {
    throw new Error(`MinHash signature has ${sig.length} slots but this index uses numPerm=${numPerm}; compute signatures with the same numPerm`);
  }
}

/** One 32-bit key per band of `sig` (bands of numPerm / bands slots each); the band number is mixed in. */
export function lshBandKeys(sig: Uint32Array, bands: number): Uint32Array {
  const rows = sig.length / bands;
  const keys = new Uint32Array(bands);
  for (let band = 0; band < bands; band++) {
    let h = band + 1;
    for (let r = band * rows; r < (band + 1) * rows; r++) h = fmix32(h ^ sig[r]);
    keys[band] = h;
  }
  return keys;
}
