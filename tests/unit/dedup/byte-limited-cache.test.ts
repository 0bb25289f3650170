// The bounded dedup cache: least recently used entries go first once the byte limit is passed, an entry larger
// than the whole limit is refused, and a Deduplicator's estimated size grows with what it holds.
import { describe, expect, it } from 'vitest';
import { Deduplicator } from '../../../src/domain/dedup';
import { ByteLimitedCache } from '../../../src/domain/dedup/byte-limited-cache';

describe('ByteLimitedCache', () => {
  it('evicts the least recently used entries to stay under its byte limit', () => {
    const cache = new ByteLimitedCache<{ bytes: number }>(100, (v) => v.bytes);
    cache.set('a', { bytes: 40 });
    cache.set('b', { bytes: 40 });
    expect(cache.get('a')).toEqual({ bytes: 40 }); // a is now more recent than b
    cache.set('c', { bytes: 40 });
    expect(cache.has('b')).toBe(false);
    expect(cache.has('a')).toBe(true);
    expect(cache.has('c')).toBe(true);
    expect(cache.bytes).toBe(80);
  });

  it('refuses an entry larger than the limit and keeps the others', () => {
    const cache = new ByteLimitedCache<{ bytes: number }>(100, (v) => v.bytes);
    cache.set('a', { bytes: 60 });
    expect(cache.set('huge', { bytes: 101 })).toBe(false);
    expect(cache.has('huge')).toBe(false);
    expect(cache.has('a')).toBe(true);
  });

  it('take() removes an entry and its bytes', () => {
    const cache = new ByteLimitedCache<{ bytes: number }>(100, (v) => v.bytes);
    cache.set('a', { bytes: 60 });
    expect(cache.take('a')).toEqual({ bytes: 60 });
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('evicts a dataset whose dedup state outgrew the budget when another is stored', async () => {
    const small = await Deduplicator.open({ settings: { semantic: { enabled: false } } });
    const large = await Deduplicator.open({ settings: { semantic: { enabled: false } } });
    small.addAccepted([{ id: 's', contentHash: 'h-s', text: 'one small record' }]);
    large.addAccepted(Array.from({ length: 200 }, (_, i) => ({ id: `l${i}`, contentHash: `h-${i}`, text: `record number ${i} of a larger dataset` })));
    expect(large.estimatedBytes).toBeGreaterThan(100 * small.estimatedBytes);
    const cache = new ByteLimitedCache<Deduplicator>(large.estimatedBytes + small.estimatedBytes / 2, (d) => d.estimatedBytes);
    cache.set('small', small);
    cache.set('large', large);
    expect(cache.has('small')).toBe(false);
    expect(cache.get('large')).toBe(large);
  });
});

describe("Deduplicator with acceptedSet: 'caller'", () => {
  const settings = { exact: false, minhash: { enabled: false }, semantic: { enabled: true, threshold: 0.9 } };

  it('takes accepted matches from the caller, compares candidates with each other, and keeps no vectors after accept', async () => {
    const dedup = await Deduplicator.open({ settings, acceptedSet: 'caller' });
    const verdicts = dedup.check([
      { id: 'a', text: '', vector: [1, 0, 0], acceptedMatch: { id: 'old', similarity: 0.95 } },
      { id: 'b', text: '', vector: [0, 1, 0] },
      { id: 'c', text: '', vector: [0, 0.99, 0.05] },
    ]);
    expect(verdicts.map((v) => [v.id, v.reason, v.duplicateOf])).toEqual([
      ['a', 'semantic_duplicate', 'old'],
      ['b', null, null],
      ['c', 'semantic_duplicate', 'b'],
    ]);
    dedup.accept(['b']);
    const inMemory = await Deduplicator.open({ settings });
    inMemory.check([{ id: 'b', text: '', vector: [0, 1, 0] }]);
    inMemory.accept(['b']);
    expect(dedup.estimatedBytes).toBeLessThan(inMemory.estimatedBytes);
    // b's vector lives in the caller's store now: without an acceptedMatch, a copy of it is not a duplicate here.
    expect(dedup.check([{ id: 'd', text: '', vector: [0, 1, 0] }])[0].reason).toBeNull();
  });
});

describe("Deduplicator with acceptedSet: 'caller' for exact and near duplicates", () => {
  const settings = { exact: true, minhash: { enabled: true, threshold: 0.8 }, semantic: { enabled: false } };

  it('takes exact and near matches in the accepted set from the caller and still compares candidates with each other', async () => {
    const dedup = await Deduplicator.open({ settings, acceptedSet: 'caller' });
    const text = 'the tide rises twice a day because the moon pulls the ocean toward it';
    const verdicts = dedup.check([
      { id: 'a', text: 'a text the caller found among the accepted', acceptedExact: 'old-1' },
      { id: 'b', text: 'another text the caller found near an accepted one', acceptedNear: { id: 'old-2', similarity: 0.9 } },
      { id: 'c', text },
      { id: 'd', text },
    ]);
    expect(verdicts.map((v) => [v.id, v.reason, v.duplicateOf])).toEqual([
      ['a', 'exact_duplicate', 'old-1'],
      ['b', 'near_duplicate', 'old-2'],
      ['c', null, null],
      ['d', 'exact_duplicate', 'c'],
    ]);
    dedup.accept(['c']);
    // c is the caller's to remember now: without acceptedExact, its copy is no duplicate here.
    expect(dedup.check([{ id: 'e', text }])[0].reason).toBeNull();
    expect(() => dedup.addAccepted([{ id: 'x', contentHash: 'h' }])).toThrow(/caller/);
  });
});
