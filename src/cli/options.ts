// Parsers for option values. Commander turns an InvalidArgumentError into "option '--target <n>' argument '0' is
// invalid. <our message>", and main.ts turns every Commander error into exit code 2 (usage).
import { InvalidArgumentError } from 'commander';
import { DATASET_ID_PATTERN } from '../workflows/ids';

function wholeNumber(value: string): number | undefined {
  if (!/^-?\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function positiveInt(value: string): number {
  const n = wholeNumber(value);
  if (n === undefined || n < 1) throw new InvalidArgumentError('Give a whole number of at least 1.');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = wholeNumber(value);
  if (n === undefined || n < 0) throw new InvalidArgumentError('Give a whole number of 0 or more.');
  return n;
}

export function integer(value: string): number {
  const n = wholeNumber(value);
  if (n === undefined) throw new InvalidArgumentError('Give a whole number, e.g. 42.');
  return n;
}

/** Judge scores run from 1 to 10 (curation keeps records at 7.0 and above by default). */
export function judgeThreshold(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 1 || n > 10) {
    throw new InvalidArgumentError('Give a judge score from 1 to 10, e.g. 7 or 7.5.');
  }
  return n;
}

/** `0.8,0.1,0.1` → train / validation / test fractions that add up to 1. */
export function splitRatios(value: string): { train: number; validation: number; test: number } {
  const parts = value.split(',').map((p) => p.trim());
  const numbers = parts.map(Number);
  if (parts.length !== 3 || parts.some((p) => p === '') || numbers.some((n) => !Number.isFinite(n) || n < 0 || n > 1)) {
    throw new InvalidArgumentError('Give three fractions for train,validation,test, e.g. 0.8,0.1,0.1.');
  }
  const [train, validation, test] = numbers;
  const sum = train + validation + test;
  if (Math.abs(sum - 1) > 1e-6) {
    throw new InvalidArgumentError(`The fractions add up to ${Number(sum.toFixed(6))}, not 1; e.g. 0.8,0.1,0.1.`);
  }
  return { train, validation, test };
}

/** Dataset ids name workflows, tables and folders, so they keep to the workflows' safe alphabet. */
export function datasetId(value: string): string {
  if (!DATASET_ID_PATTERN.test(value)) {
    throw new InvalidArgumentError('Use lowercase letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit.');
  }
  return value;
}
