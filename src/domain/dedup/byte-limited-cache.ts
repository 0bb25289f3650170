// A least-recently-used cache with a byte budget instead of an entry count: a worker keeps the dedup state of
// the datasets it accepts for, and a large dataset must push out small idle ones rather than grow the process.
// Sizes are measured when an entry is stored (callers re-store an entry after it grew).

export class ByteLimitedCache<V> {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private totalBytes = 0;

  constructor(
    readonly limitBytes: number,
    private readonly sizeOf: (value: V) => number,
  ) {
    if (!(limitBytes > 0)) throw new Error(`ByteLimitedCache needs a positive byte limit, got ${limitBytes}`);
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Removes and returns the value (e.g. to use it exclusively while it may be left inconsistent). */
  take(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
    return entry.value;
  }

  /**
   * Stores the value as the most recently used and evicts least recently used entries until the total fits.
   * Returns false (and stores nothing) when the value alone is over the limit.
   */
  set(key: string, value: V): boolean {
    this.take(key);
    const bytes = this.sizeOf(value);
    if (bytes > this.limitBytes) return false;
    this.entries.set(key, { value, bytes });
    this.totalBytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.totalBytes <= this.limitBytes) break;
      this.entries.delete(oldest);
      this.totalBytes -= entry.bytes;
    }
    return true;
  }
}
