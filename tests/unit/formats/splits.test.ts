import { describe, expect, it } from 'vitest';
import { seededShuffle } from '../../../src/infra/common/seeded-random';
import { apportion, largestRemainder, splitRecords } from '../../../src/domain/formats/index';

const records = (n: number, source = (i: number) => `src-${i % 3}`) => Array.from({ length: n }, (_, i) => ({ id: `rec-${i}`, source: source(i) }));
const ids = (split: { id: string }[]) => split.map((r) => r.id).sort();

describe('splitRecords', () => {
  it('gives exact 80/10/10 sizes by default', () => {
    const split = splitRecords(records(1000));
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([800, 100, 100]);
  });

  it('rounds sizes to the nearest whole record and loses none', () => {
    const split = splitRecords(records(7), { ratios: { train: 0.7, validation: 0.2, test: 0.1 } });
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([5, 1, 1]);
    const odd = splitRecords(records(101), { ratios: { train: 1 / 3, validation: 1 / 3, test: 1 / 3 } });
    expect([odd.train, odd.validation, odd.test].map((s) => s.length).sort()).toEqual([33, 34, 34]);
  });

  it('is deterministic and independent of input order', () => {
    const input = records(500);
    const a = splitRecords(input, { seed: 42 });
    const b = splitRecords(seededShuffle(input, 7), { seed: 42 });
    expect(ids(b.train)).toEqual(ids(a.train));
    expect(ids(b.validation)).toEqual(ids(a.validation));
    expect(ids(b.test)).toEqual(ids(a.test));
  });

  it('changes with the seed', () => {
    const input = records(500);
    expect(ids(splitRecords(input, { seed: 1 }).test)).not.toEqual(ids(splitRecords(input, { seed: 2 }).test));
  });

  it('stratified by source keeps each source in its proportion, with exact totals', () => {
    // Three sources of very different sizes: 600, 300, 100 records.
    const input = records(1000, (i) => (i < 600 ? 'big' : i < 900 ? 'mid' : 'small'));
    const split = splitRecords(seededShuffle(input, 3), { stratifyBy: 'source', seed: 9 });
    const count = (list: { source: string }[], source: string) => list.filter((r) => r.source === source).length;
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([800, 100, 100]);
    expect([count(split.train, 'big'), count(split.validation, 'big'), count(split.test, 'big')]).toEqual([480, 60, 60]);
    expect([count(split.train, 'mid'), count(split.validation, 'mid'), count(split.test, 'mid')]).toEqual([240, 30, 30]);
    expect([count(split.train, 'small'), count(split.validation, 'small'), count(split.test, 'small')]).toEqual([80, 10, 10]);
  });

  it('stratified rounding stays exact in total when every source has a fraction left over', () => {
    const input = records(31, (i) => `s${i % 4}`); // sources of 8, 8, 8, 7
    const split = splitRecords(input, { stratifyBy: 'source' });
    expect([split.train.length, split.validation.length, split.test.length]).toEqual(largestRemainder(31, [0.8, 0.1, 0.1]));
    for (const source of ['s0', 's1', 's2', 's3']) {
      const size = input.filter((r) => r.source === source).length;
      const train = split.train.filter((r) => r.source === source).length;
      expect(Math.abs(train - size * 0.8)).toBeLessThan(1);
    }
  });

  it('rejects ratios that do not add up to 1 and duplicate ids', () => {
    expect(() => splitRecords(records(10), { ratios: { train: 0.9, validation: 0.2, test: 0.1 } })).toThrow(/add up to 1\.2/);
    expect(() => splitRecords([{ id: 'a' }, { id: 'a' }])).toThrow(/"a" appears twice/);
  });
});

describe('apportion', () => {
  it('rounds a group × split table so rows and columns both add up', () => {
    for (const sizes of [
      [8, 8, 8, 7],
      [1, 1, 1, 1, 1],
      [13, 2, 5],
      [0, 9],
    ]) {
      const counts = apportion(sizes, [0.8, 0.1, 0.1]);
      counts.forEach((row, g) => {
        expect(row.reduce((a, b) => a + b, 0)).toBe(sizes[g]);
        row.forEach((c, s) => expect(Math.abs(c - sizes[g] * [0.8, 0.1, 0.1][s])).toBeLessThan(1));
      });
      const totals = [0, 1, 2].map((s) => counts.reduce((sum, row) => sum + row[s], 0));
      expect(totals).toEqual(
        largestRemainder(
          sizes.reduce((a, b) => a + b, 0),
          [0.8, 0.1, 0.1],
        ),
      );
    }
  });
});
