// The LSH bands of an append-only set of MinHash signatures, for finding the earlier items that share a band with
// a query. For each band it keeps the (band key, item) pairs sorted by key: 8 bytes per item and band. Hash tables
// with chains (BucketTables) cost 15–27: empty slots, a key and a head per slot, a chain link per pair. For the
// 100k records of a large build at 32 bands, that was ~85 MB of an acceptance worker against ~26 MB here.
//
// Items arrive one at a time, so the pairs form a log-structured merge. New items go to a small unsorted tail that
// queries scan. A full tail is sorted into a run, and the newest run is merged into the one before it while it is
// at least as large. So n items sit in at most log2(n / TAIL_ITEMS) + 1 runs, a query does one binary search per
// run and band, and each pair is copied O(log n) times over the set's life.

const TAIL_ITEMS = 256;

/** A sorted run of consecutive items: band b's pairs are keys/items[b × count … (b + 1) × count), by key then item. */
interface Run {
  keys: Uint32Array;
  items: Int32Array;
  count: number;
}

export class BandKeyRuns {
  readonly bands: number;
  private runs: Run[] = [];
  /** The tail's band keys, item-major: tailKeys[j × bands + b] is band b's key of item tailStart + j. */
  private readonly tailKeys: Uint32Array;
  private tailCount = 0;
  private itemCount = 0;

  constructor(bands: number) {
    this.bands = bands;
    this.tailKeys = new Uint32Array(TAIL_ITEMS * bands);
  }

  /** How many items were added; the next one is numbered `size`. */
  get size(): number {
    return this.itemCount;
  }

  /** Bytes held in typed arrays. */
  get bytes(): number {
    return this.tailKeys.byteLength + this.runs.reduce((sum, run) => sum + run.keys.byteLength + run.items.byteLength, 0);
  }

  /** Adds the next item (number `size`) under one key per band; returns its number. */
  insert(keys: ArrayLike<number>): number {
    const item = this.itemCount++;
    const base = this.tailCount * this.bands;
    for (let b = 0; b < this.bands; b++) this.tailKeys[base + b] = keys[b] >>> 0;
    this.tailCount++;
    if (this.tailCount === TAIL_ITEMS) this.sealTail();
    return item;
  }

  /** Calls `visit` for every item whose band-`band` key is `key`, newest first. */
  forEachWithKey(band: number, key: number, visit: (item: number) => void): void {
    const wanted = key >>> 0;
    const tailStart = this.itemCount - this.tailCount;
    for (let j = this.tailCount - 1; j >= 0; j--) if (this.tailKeys[j * this.bands + band] === wanted) visit(tailStart + j);
    for (let r = this.runs.length - 1; r >= 0; r--) {
      const { keys, items, count } = this.runs[r];
      const from = band * count;
      const to = from + count;
      const first = lowerBound(keys, from, to, wanted);
      let last = first;
      while (last < to && keys[last] === wanted) last++;
      while (last > first) visit(items[--last]);
    }
  }

  /** Sorts the tail into a run, then merges runs so each is larger than the one after it. */
  private sealTail(): void {
    const count = this.tailCount;
    const tailStart = this.itemCount - count;
    const keys = new Uint32Array(count * this.bands);
    const items = new Int32Array(count * this.bands);
    // A band key (< 2³²) and a tail position (< 2⁸) packed into one float sort exactly: key × 256 + j < 2⁴⁰.
    const packed = new Float64Array(count);
    for (let b = 0; b < this.bands; b++) {
      for (let j = 0; j < count; j++) packed[j] = this.tailKeys[j * this.bands + b] * TAIL_ITEMS + j;
      packed.sort();
      for (let j = 0; j < count; j++) {
        const position = packed[j] % TAIL_ITEMS;
        keys[b * count + j] = (packed[j] - position) / TAIL_ITEMS;
        items[b * count + j] = tailStart + position;
      }
    }
    this.runs.push({ keys, items, count });
    this.tailCount = 0;
    while (this.runs.length >= 2 && this.runs[this.runs.length - 1].count >= this.runs[this.runs.length - 2].count) {
      const newer = this.runs.pop()!;
      const older = this.runs.pop()!;
      this.runs.push(this.merge(older, newer));
    }
  }

  /** One run of both; on equal keys the older run's items (all smaller) come first, keeping each band sorted. */
  private merge(older: Run, newer: Run): Run {
    const count = older.count + newer.count;
    const keys = new Uint32Array(count * this.bands);
    const items = new Int32Array(count * this.bands);
    for (let b = 0; b < this.bands; b++) {
      let i = b * older.count;
      const iEnd = i + older.count;
      let k = b * newer.count;
      const kEnd = k + newer.count;
      let out = b * count;
      while (i < iEnd && k < kEnd) {
        if (newer.keys[k] < older.keys[i]) {
          keys[out] = newer.keys[k];
          items[out++] = newer.items[k++];
        } else {
          keys[out] = older.keys[i];
          items[out++] = older.items[i++];
        }
      }
      while (i < iEnd) {
        keys[out] = older.keys[i];
        items[out++] = older.items[i++];
      }
      while (k < kEnd) {
        keys[out] = newer.keys[k];
        items[out++] = newer.items[k++];
      }
    }
    return { keys, items, count };
  }
}

/** The first index in [from, to) whose key is ≥ `key` (`to` when none is). */
function lowerBound(keys: Uint32Array, from: number, to: number, key: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
