// Which candidates a query has already looked at, for hash-table indexes where one item sits in several
// buckets. Each query gets a fresh stamp and an item counts as visited when its slot holds that stamp, so
// nothing is cleared between queries (only once every 2³² queries, when the stamp wraps around).
export class VisitMarks {
  private stamps: Uint32Array;
  private stamp = 0;

  constructor(capacity: number) {
    this.stamps = new Uint32Array(capacity);
  }

  /** How many items the marks have room for. */
  get capacity(): number {
    return this.stamps.length;
  }

  /** Room for `capacity` items, keeping the current query's marks. */
  grow(capacity: number): void {
    const stamps = new Uint32Array(capacity);
    stamps.set(this.stamps);
    this.stamps = stamps;
  }

  /** Starts a query: no item counts as visited. */
  startQuery(): void {
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }

  /** True the first time `item` is visited in this query; later visits are false. */
  firstVisit(item: number): boolean {
    if (this.stamps[item] === this.stamp) return false;
    this.stamps[item] = this.stamp;
    return true;
  }
}
