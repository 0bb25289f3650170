import { describe, expect, it } from 'vitest';
import { mergeDeep } from '../../../src/infra/common/deep-merge';
import { seededRandom, seededShuffle } from '../../../src/infra/common/seeded-random';
import { belongsToDataset, chunkTableName, recordTableName, vectorTableName } from '../../../src/infra/vectors/table-names';

describe('mergeDeep', () => {
  it('merges objects key by key, replaces arrays and skips undefined, leaving both inputs as they were', () => {
    const base = { llm: { model: 'a', retries: 2 }, tags: ['x', 'y'], keep: 1 };
    const override = { llm: { model: 'b' }, tags: ['z'], keep: undefined };
    expect(mergeDeep(base, override)).toEqual({ llm: { model: 'b', retries: 2 }, tags: ['z'], keep: 1 });
    expect(base).toEqual({ llm: { model: 'a', retries: 2 }, tags: ['x', 'y'], keep: 1 });
    expect(override.llm).toEqual({ model: 'b' });
  });
});

describe('seededRandom / seededShuffle', () => {
  it('repeats for a seed and differs between seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('shuffles a copy into a seed-fixed order that keeps every item', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const shuffled = seededShuffle(items, 3);
    expect(shuffled).toEqual(seededShuffle(items, 3));
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(items[0]).toBe(0);
  });
});

describe('dataset table names', () => {
  it('claims both naming forms of a dataset and spares a dataset whose id merely starts the same', () => {
    for (const name of [chunkTableName('news'), recordTableName('news'), `${recordTableName('news')}__old`, vectorTableName('news', 'dedup')]) {
      expect(belongsToDataset(name, 'news')).toBe(true);
    }
    for (const name of [chunkTableName('news-2'), recordTableName('news-2'), vectorTableName('news-2', 'dedup')]) {
      expect(belongsToDataset(name, 'news')).toBe(false);
    }
  });
});
