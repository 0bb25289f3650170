import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Deduplicator, dedupeRecords, resolveDedupSettings, type DedupCandidate } from '../../../src/domain/dedup';
import { contentHash } from '../../../src/domain/dedup/normalize';
import type { DatasetRecord } from '../../../src/domain/records/types';
import { embedLexical, openVectorStore, vectorTableName } from '../../../src/infra/vectors';

function candidates(texts: Record<string, string>): DedupCandidate[] {
  const ids = Object.keys(texts);
  const vectors = embedLexical(Object.values(texts));
  return ids.map((id, i) => ({ id, text: texts[id], vector: vectors[i] }));
}

const onlySemantic = { exact: false, minhash: { enabled: false }, semantic: { enabled: true, threshold: 0.9 } };
const paris = 'What is the capital of France? The capital of France is Paris, the largest city of the country, on the Seine river in the north.';
const parisReworded = 'The capital of France is Paris, the largest city of the country, on the Seine river in the north. What is the capital of France?';
const plants = 'How do plants make food? They use sunlight, water and carbon dioxide in photosynthesis.';

describe('Deduplicator.check', () => {
  it('flags exact duplicates within the batch and against the accepted set; the first one wins', async () => {
    const dedup = await Deduplicator.open({ settings: { semantic: { enabled: false } } });
    dedup.addAccepted([{ id: 'old', contentHash: contentHash({ type: 'qa', question: 'Q one?', answer: 'A one.' }) }]);
    const verdicts = dedup.check([
      { id: 'a', text: 'Q one?\nA one.' },
      { id: 'b', text: plants },
      { id: 'c', text: plants.toUpperCase() },
    ]);
    expect(verdicts.map((v) => [v.id, v.duplicateOf, v.reason])).toEqual([
      ['a', 'old', 'exact_duplicate'],
      ['b', null, null],
      ['c', 'b', 'exact_duplicate'],
    ]);
  });

  it('flags near duplicates by MinHash with their estimated Jaccard', async () => {
    const dedup = await Deduplicator.open({ settings: { semantic: { enabled: false } } });
    const [first, second] = dedup.check([
      { id: 'a', text: paris },
      { id: 'b', text: paris.replace('the largest', 'the biggest') },
    ]);
    expect(first.duplicateOf).toBeNull();
    expect(second).toMatchObject({ duplicateOf: 'a', reason: 'near_duplicate' });
    expect(second.similarity).toBeGreaterThanOrEqual(0.8);
    expect(second.minhash).toHaveLength(128);
  });

  it('flags semantic duplicates within the batch (first come wins) and against accepted records', async () => {
    const dedup = await Deduplicator.open({ settings: onlySemantic });
    const batch = candidates({ first: paris, second: parisReworded, other: plants });
    const verdicts = dedup.check(batch);
    expect(verdicts.map((v) => [v.id, v.duplicateOf, v.reason])).toEqual([
      ['first', null, null],
      ['second', 'first', 'semantic_duplicate'],
      ['other', null, null],
    ]);
    expect(verdicts[1].similarity).toBeGreaterThanOrEqual(0.9);
    dedup.accept(['first', 'other']);

    const next = dedup.check(candidates({ again: parisReworded, fresh: 'Why is the sky blue? Rayleigh scattering of sunlight.' }));
    expect(next.map((v) => [v.id, v.duplicateOf])).toEqual([
      ['again', 'first'],
      ['fresh', null],
    ]);
  });

  it('does not compare with candidates that were checked but not accepted', async () => {
    const dedup = await Deduplicator.open({ settings: onlySemantic });
    dedup.check(candidates({ a: paris, b: plants }));
    dedup.accept(['b']);
    expect(dedup.check(candidates({ c: parisReworded }))[0].duplicateOf).toBeNull();
    // A check that is never accepted is forgotten by the next one.
    expect(dedup.check(candidates({ d: parisReworded }))[0].duplicateOf).toBeNull();
  });

  it('uses stored MinHash signatures and content hashes instead of text when given', async () => {
    const dedup = await Deduplicator.open({ settings: { semantic: { enabled: false } } });
    const [probe] = dedup.check([{ id: 'probe', text: paris }]);
    dedup.accept(['probe']);
    const verdicts = dedup.check([{ id: 'stored', text: '', contentHash: 'not-the-same', minhash: probe.minhash }]);
    expect(verdicts[0]).toMatchObject({ duplicateOf: 'probe', reason: 'near_duplicate', similarity: 1 });
  });

  it('explains what to do when a vector is missing or a batch repeats an id', async () => {
    const dedup = await Deduplicator.open({});
    expect(() => dedup.check([{ id: 'x', text: 'no vector here' }])).toThrow(/"x" has no vector.*semantic.enabled: false/);
    expect(() =>
      dedup.check([
        { id: 'y', text: 'a', vector: [1] },
        { id: 'y', text: 'b', vector: [1] },
      ]),
    ).toThrow(/"y" twice/);
    expect(() => dedup.accept(['never-checked'])).toThrow(/without a preceding check/);
    dedup.check([{ id: 'z', text: 'z', vector: [1] }]);
    expect(() => dedup.accept(['never-checked'])).toThrow(/not in the last check/);
  });

  it('rejects invalid settings with the path and the rule', () => {
    expect(() => resolveDedupSettings({ minhash: { numPerm: 128, bands: 30 } })).toThrow(/minhash\.bands: .*divide/);
    expect(() => resolveDedupSettings({ semantic: { threshold: 2 } })).toThrow(/semantic\.threshold/);
  });
});

describe('Deduplicator with a vector store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'datacreek-dedup-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('persists accepted vectors and loads them when reopened', async () => {
    const store = await openVectorStore(dir);
    const table = vectorTableName('dataset one', 'dedup');
    const first = await Deduplicator.open({ store, table, settings: onlySemantic });
    const verdicts = first.check(candidates({ p: paris, q: plants }));
    first.accept(verdicts.map((v) => v.id));
    expect(await first.persistAccepted()).toBe(2);
    expect(await first.persistAccepted()).toBe(0);
    expect(await store.count(table)).toBe(2);

    const reopened = await Deduplicator.open({ store, table, settings: onlySemantic });
    expect(reopened.check(candidates({ r: parisReworded }))[0].duplicateOf).toBe('p');
    await store.close();
  });
});

describe('dedupeRecords', () => {
  it('keeps the first of each duplicate group and counts each kind', async () => {
    const qa = (id: string, question: string, answer: string): DatasetRecord => ({ id, content: { type: 'qa', question, answer } });
    const records = [
      qa('1', 'What is the capital of France?', 'Paris, the largest city of the country, on the Seine river in the north.'),
      qa('2', 'what is the capital of france', 'paris the largest city of the country on the seine river in the north'),
      qa('3', 'What is the capital of France?', 'Paris, the biggest city of the country, on the Seine river in the north.'),
      qa('4', 'How do plants make food?', 'They use sunlight, water and carbon dioxide in photosynthesis.'),
      qa('5', 'What city is the capital of France?', 'Paris, the largest city of the country, on the river Seine in the north.'),
    ];
    const result = await dedupeRecords(records);
    expect(result.kept.map((r) => r.id)).toEqual(['1', '4']);
    expect(result.counts).toEqual({ total: 5, kept: 2, exact_duplicate: 1, near_duplicate: 1, semantic_duplicate: 1 });
    expect(result.duplicates.map((d) => [d.id, d.duplicateOf, d.reason])).toEqual([
      ['2', '1', 'exact_duplicate'],
      ['3', '1', 'near_duplicate'],
      ['5', '1', 'semantic_duplicate'],
    ]);
    expect(result.embedder).toMatch(/lexical, not semantic/i);
  });

  it('uses a supplied embedding function and checks it returns one vector per text', async () => {
    const records: DatasetRecord[] = [
      { id: 'a', content: { type: 'qa', question: 'Alpha?', answer: 'One.' } },
      { id: 'b', content: { type: 'qa', question: 'Beta?', answer: 'Two.' } },
    ];
    // A fake model that embeds everything identically: every later record is a semantic duplicate.
    const same = await dedupeRecords(records, {}, async (texts) => texts.map(() => [1, 0, 0]));
    expect(same.duplicates).toEqual([{ id: 'b', duplicateOf: 'a', reason: 'semantic_duplicate', similarity: 1 }]);
    await expect(dedupeRecords(records, {}, async () => [[1, 0, 0]])).rejects.toThrow(/one vector per text/);
  });
});
