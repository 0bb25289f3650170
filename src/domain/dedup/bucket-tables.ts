// Hash tables of buckets for locality-sensitive hashing, laid out in typed arrays: each of `tableCount`
// tables maps a 32-bit key to a chain of item numbers. A Map of arrays per table costs ~10× the memory
// at 100k items × 32 bands; here a bucket costs 8 bytes plus 4 bytes per (item, table).
//
// Items are numbered 0, 1, 2 … in insertion order and each chain starts at its newest item, so the most
// recently inserted items can be removed again (`truncate`) — which lets a batch be checked tentatively.

const NEVER_USED = -2;
const NO_ITEMS = -1;

class OpenAddressingTable {
  keys: Uint32Array;
  heads: Int32Array;
  used = 0;

  constructor(capacity: number) {
    this.keys = new Uint32Array(capacity);
    this.heads = new Int32Array(capacity).fill(NEVER_USED);
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  slotOf(key: number): number {
    const mask = this.keys.length - 1;
    let slot = (Math.imul(key ^ (key >>> 15), 0x2c1b3c6d) >>> 0) & mask;
    while (this.heads[slot] !== NEVER_USED && this.keys[slot] !== key) slot = (slot + 1) & mask;
    return slot;
  }

  grow(): void {
    const oldKeys = this.keys;
    const oldHeads = this.heads;
    this.keys = new Uint32Array(oldKeys.length * 2);
    this.heads = new Int32Array(oldKeys.length * 2).fill(NEVER_USED);
    for (let s = 0; s < oldKeys.length; s++) {
      if (oldHeads[s] === NEVER_USED) continue;
      const slot = this.slotOf(oldKeys[s]);
      this.keys[slot] = oldKeys[s];
      this.heads[slot] = oldHeads[s];
    }
  }
}

export class BucketTables {
  readonly tableCount: number;
  private readonly tables: OpenAddressingTable[];
  /** next[item * tableCount + table]: the next older item in the same bucket, or -1. */
  private next: Int32Array;
  private itemCount = 0;

  constructor(tableCount: number, expectedItems = 1024) {
    this.tableCount = tableCount;
    const capacity = 1 << Math.ceil(Math.log2(Math.max(16, expectedItems * 2)));
    this.tables = Array.from({ length: tableCount }, () => new OpenAddressingTable(capacity));
    this.next = new Int32Array(Math.max(16, expectedItems) * tableCount);
  }

  get size(): number {
    return this.itemCount;
  }

  /** Bytes held in typed arrays. */
  get bytes(): number {
    return this.next.byteLength + this.tables.reduce((sum, table) => sum + table.keys.byteLength + table.heads.byteLength, 0);
  }

  /** Adds the next item (number `size`) under one key per table; returns its number. */
  insert(keys: ArrayLike<number>): number {
    const item = this.itemCount++;
    if ((item + 1) * this.tableCount > this.next.length) {
      const grown = new Int32Array(this.next.length * 2);
      grown.set(this.next);
      this.next = grown;
    }
    for (let t = 0; t < this.tableCount; t++) {
      const table = this.tables[t];
      if ((table.used + 1) * 4 > table.keys.length * 3) table.grow();
      const key = keys[t] >>> 0;
      const slot = table.slotOf(key);
      const head = table.heads[slot];
      if (head === NEVER_USED) {
        table.keys[slot] = key;
        table.used++;
        this.next[item * this.tableCount + t] = NO_ITEMS;
      } else {
        this.next[item * this.tableCount + t] = head;
      }
      table.heads[slot] = item;
    }
    return item;
  }

  /** The newest item in table `t`'s bucket for `key`, or -1; walk on with `nextInBucket`. */
  bucketHead(t: number, key: number): number {
    const table = this.tables[t];
    const head = table.heads[table.slotOf(key >>> 0)];
    return head >= 0 ? head : -1;
  }

  /** The next older item after `item` in its table-`t` bucket, or -1. */
  nextInBucket(item: number, t: number): number {
    return this.next[item * this.tableCount + t];
  }

  /** Calls `visit` for every item in table `t`'s bucket for `key`, newest first. */
  forEachInBucket(t: number, key: number, visit: (item: number) => void): void {
    const table = this.tables[t];
    const slot = table.slotOf(key >>> 0);
    let item = table.heads[slot];
    while (item >= 0) {
      visit(item);
      item = this.next[item * this.tableCount + t];
    }
  }

  /**
   * Removes the newest items until `size === newSize`. `keysOf(item)` must return the keys that item
   * was inserted with. Emptied buckets keep their key (as NO_ITEMS) so probe sequences stay intact.
   */
  truncate(newSize: number, keysOf: (item: number) => ArrayLike<number>): void {
    for (let item = this.itemCount - 1; item >= newSize; item--) {
      const keys = keysOf(item);
      for (let t = 0; t < this.tableCount; t++) {
        const table = this.tables[t];
        const slot = table.slotOf(keys[t] >>> 0);
        table.heads[slot] = this.next[item * this.tableCount + t];
      }
    }
    this.itemCount = Math.min(this.itemCount, Math.max(0, newSize));
  }
}
