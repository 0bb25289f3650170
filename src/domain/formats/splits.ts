// Train / validation / test splits that depend only on record ids and a seed: the same ids and seed give
// the same split whatever order the records arrive in, and adding a record never moves the others more
// than rounding requires. Sizes are exact to rounding (largest remainder), and the stratified variant
// keeps each source's proportion in every split while the totals stay exact (controlled rounding).
import { createHash } from 'node:crypto';
import type { DatasetRecord } from '../records';

export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];
export type SplitRatios = Record<SplitName, number>;

export const DEFAULT_SPLIT_RATIOS: Readonly<SplitRatios> = { train: 0.8, validation: 0.1, test: 0.1 };

export interface SplitOptions {
  /** Fractions of the records per split; they must add up to 1. Default 0.8 / 0.1 / 0.1. */
  ratios?: Partial<SplitRatios>;
  /** Changes which records land where; default 0. */
  seed?: number | string;
  /** Keep each source's share the same in every split (records without a source form one group). */
  stratifyBy?: 'source';
}

export type SplitResult<R> = Record<SplitName, R[]>;

type Identified = Pick<DatasetRecord, 'id' | 'source'>;

export function splitRecords<R extends Identified>(records: readonly R[], opts: SplitOptions = {}): SplitResult<R> {
  const ratios = resolveRatios(opts.ratios);
  const seed = String(opts.seed ?? 0);
  assertUniqueIds(records);

  const groups = new Map<string, R[]>();
  for (const record of records) {
    const key = opts.stratifyBy === 'source' ? (record.source ?? '') : '';
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  const groupList = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
  const counts = apportion(
    groupList.map((g) => g.length),
    SPLIT_NAMES.map((name) => ratios[name]),
  );

  const result: SplitResult<R> = { train: [], validation: [], test: [] };
  groupList.forEach((group, g) => {
    const ordered = orderBySeededHash(group, seed);
    let start = 0;
    SPLIT_NAMES.forEach((name, s) => {
      result[name].push(...ordered.slice(start, start + counts[g][s]));
      start += counts[g][s];
    });
  });
  return result;
}

function resolveRatios(partial: Partial<SplitRatios> | undefined): SplitRatios {
  const ratios = { ...DEFAULT_SPLIT_RATIOS, ...partial };
  for (const name of SPLIT_NAMES) {
    if (!Number.isFinite(ratios[name]) || ratios[name] < 0) {
      throw new RangeError(`split ratio ${name}=${ratios[name]} must be a number ≥ 0`);
    }
  }
  const sum = ratios.train + ratios.validation + ratios.test;
  if (Math.abs(sum - 1) > 1e-9) {
    throw new RangeError(
      `split ratios add up to ${sum}, not 1 (train ${ratios.train}, validation ${ratios.validation}, test ${ratios.test}); e.g. use 0.8 / 0.1 / 0.1`,
    );
  }
  return ratios;
}

function assertUniqueIds(records: readonly Identified[]): void {
  const seen = new Set<string>();
  for (const { id } of records) {
    if (seen.has(id)) throw new RangeError(`record id "${id}" appears twice; splits need unique ids`);
    seen.add(id);
  }
}

/** Sorting by hash(seed, id) gives every record a stable, seed-dependent place. */
function orderBySeededHash<R extends Identified>(records: readonly R[], seed: string): R[] {
  const keyed = records.map((record) => ({
    record,
    key: createHash('sha256').update(seed).update('\u0000').update(record.id).digest('hex'),
  }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.record.id < b.record.id ? -1 : 1));
  return keyed.map((k) => k.record);
}

/**
 * Integer counts[group][split] whose rows add up to each group's size, whose columns add up to the exact
 * total of each split (largest remainder over all records), and where each cell is its ideal share
 * rounded down or up. Such a rounding of a two-way table always exists (Bacharach 1966); the extra
 * units are placed by a small max-flow from groups to splits through the cells with a fractional part.
 */
export function apportion(groupSizes: readonly number[], ratios: readonly number[]): number[][] {
  const total = groupSizes.reduce((a, b) => a + b, 0);
  const splitTotals = largestRemainder(total, ratios);
  const ideal = groupSizes.map((size) => ratios.map((r) => size * r));
  const counts = ideal.map((row) => row.map((x) => Math.floor(x + 1e-9)));
  const rowNeed = groupSizes.map((size, g) => size - sum(counts[g]));
  const colNeed = splitTotals.map((t, s) => t - sum(counts.map((row) => row[s])));
  const canRaise = ideal.map((row, g) => row.map((x, s) => x - counts[g][s] > 1e-9));

  // Augmenting paths over group → split edges (cells that may still be raised) and split → group
  // edges (cells already raised, which may be undone to reroute a unit).
  const raised = ideal.map((row) => row.map(() => false));
  const findPath = (g: number, visitedGroups: Set<number>): boolean => {
    visitedGroups.add(g);
    for (let s = 0; s < ratios.length; s++) {
      if (!canRaise[g][s] || raised[g][s]) continue;
      if (colNeed[s] > 0) {
        raised[g][s] = true;
        colNeed[s]--;
        return true;
      }
      for (let other = 0; other < groupSizes.length; other++) {
        if (raised[other][s] && !visitedGroups.has(other) && findPath(other, visitedGroups)) {
          raised[other][s] = false;
          raised[g][s] = true;
          return true;
        }
      }
    }
    return false;
  };
  groupSizes.forEach((_, g) => {
    while (rowNeed[g] > 0 && findPath(g, new Set())) rowNeed[g]--;
  });
  // Should the flow ever fall short (float corner cases), a unit goes to any split that may take it:
  // a split size then ends off by one, but no record is ever lost.
  groupSizes.forEach((_, g) => {
    for (; rowNeed[g] > 0; rowNeed[g]--) {
      const open = ratios.findIndex((r, s) => r > 0 && !raised[g][s]);
      if (open >= 0) raised[g][open] = true;
      else counts[g][ratios.indexOf(Math.max(...ratios))]++;
    }
  });
  return counts.map((row, g) => row.map((c, s) => c + (raised[g][s] ? 1 : 0)));
}

/** Splits n into integer parts proportional to ratios, handing leftovers to the largest remainders. */
export function largestRemainder(n: number, ratios: readonly number[]): number[] {
  const ideal = ratios.map((r) => n * r);
  const parts = ideal.map((x) => Math.floor(x + 1e-9));
  let left = n - sum(parts);
  const order = ideal.map((x, i) => ({ i, remainder: x - parts[i] })).sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    if (ratios[i] > 0) {
      parts[i]++;
      left--;
    }
  }
  return parts;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
