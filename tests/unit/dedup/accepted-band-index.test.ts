// The acceptance's compact MinHash index: it must name every accepted record the full in-memory LSH index would
// report as a near duplicate (it is only allowed to name a few more, which the caller rejects on full signatures),
// under the accept_seq it was given, in under half a kilobyte per record.
import { describe, expect, it } from 'vitest';
import { AcceptedBandIndex, estimateJaccard, MinHashIndex, signature } from '../../../src/domain/dedup';

/** Deterministic texts: a few topics, each with paraphrase-like variants sharing most of their words. */
function corpus(count: number): string[] {
  const words = 'tide moon ocean current harbour sailor wind gauge chart depth shore reef storm buoy anchor keel'.split(' ');
  return Array.from({ length: count }, (_, i) => {
    const topic = i % 40;
    const base = Array.from({ length: 30 }, (_, w) => `${words[(topic * 7 + w) % words.length]}${(topic * 31 + w) % 97}`);
    // Variants of one topic differ in a few words, so some pairs are near duplicates and most are not.
    for (let k = 0; k < i % 6; k++) base[(i * 13 + k * 5) % base.length] = `variant${i}_${k}`;
    return base.join(' ');
  });
}

describe('AcceptedBandIndex', () => {
  it('names every near duplicate the full MinHash index finds, by the accept_seq it was added under', () => {
    const texts = corpus(600);
    const accepted = texts.slice(0, 400);
    const full = new MinHashIndex({ numPerm: 128, bands: 32 });
    const compact = new AcceptedBandIndex({ numPerm: 128, bands: 32 });
    accepted.forEach((text, i) => {
      full.add(`seq-${1000 + i}`, signature(text));
      compact.add(1000 + i, signature(text));
    });
    let nearPairs = 0;
    let extraNamed = 0;
    for (const query of texts.slice(400)) {
      const sig = signature(query);
      const expected = full.query(sig, 0.8).map((m) => Number(m.id.slice(4)));
      const named = compact.candidates(sig, 0.8);
      expect(named).toEqual(expect.arrayContaining(expected));
      expect(new Set(named).size).toBe(named.length);
      nearPairs += expected.length;
      extraNamed += named.filter((ref) => estimateJaccard(sig, signature(accepted[ref - 1000])) < 0.8).length;
    }
    // The corpus has near duplicates to find, and 8-bit slots name (almost) nothing beyond them.
    expect(nearPairs).toBeGreaterThan(50);
    expect(extraNamed).toBeLessThanOrEqual(Math.ceil(nearPairs * 0.01));
  });

  it('holds under half a kilobyte per accepted record', () => {
    const index = new AcceptedBandIndex({ numPerm: 128, bands: 32 });
    corpus(20_000).forEach((text, i) => index.add(i + 1, signature(text)));
    expect(index.size).toBe(20_000);
    expect(index.estimatedBytes / index.size).toBeLessThan(512);
  });

  it('refuses a signature of another length, naming both', () => {
    const index = new AcceptedBandIndex({ numPerm: 128, bands: 32 });
    expect(() => index.add(1, new Uint32Array(64))).toThrow(/64 slots.*numPerm=128/);
  });
});
