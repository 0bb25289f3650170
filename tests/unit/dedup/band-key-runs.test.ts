// The sorted band runs behind the acceptance's MinHash index: whatever the number of items (inside the unsorted
// tail, at a run's edge, after many merges), a lookup must name exactly the items added under that band key,
// newest first, in about 8 bytes per item and band.
import { describe, expect, it } from 'vitest';
import { BandKeyRuns } from '../../../src/domain/dedup/band-key-runs';

/** A deterministic stream of keys with many repeats, so buckets hold several items. */
function keysOf(item: number, bands: number): number[] {
  return Array.from({ length: bands }, (_, b) => (Math.imul(item % 97, 2654435761) ^ (b * 40503 + (item % 13))) >>> 0);
}

describe('BandKeyRuns', () => {
  it.each([1, 255, 256, 257, 1000, 4097])('names exactly the items under a key, newest first, with %i items', (count) => {
    const bands = 4;
    const runs = new BandKeyRuns(bands);
    const expected = new Map<string, number[]>();
    for (let item = 0; item < count; item++) {
      const keys = keysOf(item, bands);
      expect(runs.insert(keys)).toBe(item);
      keys.forEach((key, band) => {
        const bucket = `${band}:${key}`;
        expected.set(bucket, [item, ...(expected.get(bucket) ?? [])]);
      });
    }
    expect(runs.size).toBe(count);
    for (const [bucket, items] of expected) {
      const [band, key] = bucket.split(':').map(Number);
      const seen: number[] = [];
      runs.forEachWithKey(band, key, (item) => seen.push(item));
      expect(seen).toEqual(items);
    }
    const absent: number[] = [];
    runs.forEachWithKey(0, 12345, (item) => absent.push(item));
    runs.forEachWithKey(3, 0xffffffff, (item) => absent.push(item));
    expect(absent).toEqual([]);
  });

  it('holds 8 bytes per item and band once the tail is sealed', () => {
    const bands = 32;
    const runs = new BandKeyRuns(bands);
    for (let item = 0; item < 100_000; item++) runs.insert(keysOf(item * 7919, bands));
    const tailBytes = 256 * bands * 4;
    expect(runs.bytes - tailBytes).toBe(Math.floor(100_000 / 256) * 256 * bands * 8);
  });
});
