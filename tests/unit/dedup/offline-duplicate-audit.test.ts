// The chaos suite's offline duplicate audit must itself catch what it hunts for: planted exact, near and semantic
// duplicates are reported with the right measure, and distinct records are not.
import { describe, expect, it } from 'vitest';
import { embedLexical } from '../../../src/infra/vectors/lexical-embedder';
import { findDuplicatePairs, type AuditThresholds } from '../../chaos/dedup-audit';

const thresholds: AuditThresholds = { exact: true, minhash: { threshold: 0.8, numPerm: 128 }, semantic: 0.9 };
const distinct = [
  'Observation 1: the glacier team used a seismometer and recorded 14 events in 1991, mostly during spring.',
  'Which instrument measured the coral reef in autumn? A hydrophone, placed at site 3.4 by the survey divers.',
  'Steppe grasses recover within two seasons after a fire, according to the drone camera survey of 2004.',
];

function items(texts: string[], vectors: number[][] = embedLexical(texts)) {
  return texts.map((text, i) => ({ id: `r${i}`, text, vector: vectors[i] }));
}

describe('findDuplicatePairs', () => {
  it('finds no pair among distinct records, and compares every pair', () => {
    const audit = findDuplicatePairs(items(distinct), thresholds);
    expect(audit.pairs).toEqual([]);
    expect(audit.pairsCompared).toBe(3);
    expect(audit.maxJaccard).toBeLessThan(0.8);
  });

  it('reports an exact duplicate that differs only in case and punctuation', () => {
    const audit = findDuplicatePairs(items([...distinct, distinct[0].toUpperCase().replace(/[.:,]/g, '')]), thresholds);
    expect(audit.pairs.map((p) => [p.a, p.b, p.measure])).toContainEqual(['r0', 'r3', 'exact']);
  });

  it('reports a near duplicate (one word changed) by MinHash Jaccard', () => {
    const audit = findDuplicatePairs(items([...distinct, distinct[1].replace('autumn', 'winter')]), { ...thresholds, semantic: null });
    const pair = audit.pairs.find((p) => p.measure === 'minhash');
    expect(pair).toMatchObject({ a: 'r1', b: 'r3' });
    expect(pair!.similarity).toBeGreaterThanOrEqual(0.8);
    expect(audit.pairs.some((p) => p.measure === 'exact')).toBe(false);
  });

  it('reports a semantic duplicate by the cosine of the given vectors, whatever the texts', () => {
    const vectors = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [0.05, 0, 1],
    ];
    const audit = findDuplicatePairs(items([...distinct, 'an unrelated fourth text about fjords'], vectors), thresholds);
    expect(audit.pairs).toEqual([{ a: 'r2', b: 'r3', measure: 'semantic', similarity: expect.closeTo(0.9988, 3) }]);
    expect(audit.maxCosine).toBeCloseTo(0.9988, 3);
  });
});
