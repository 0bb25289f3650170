// Which layout a file's rows follow. Each row votes for the first layout whose signature it carries;
// the layout most rows vote for wins, so a few odd rows do not change the answer.
import { DATASET_TYPES, type DatasetType } from '../../records';
import type { DatasetShape } from '../types';
import { isObject } from './row-values';

const SAMPLE_SIZE = 50;

/** Signatures in priority order: the most specific layouts first. */
const SIGNATURES: readonly { shape: Exclude<DatasetShape, 'mapped'>; matches: (row: Record<string, unknown>) => boolean }[] = [
  { shape: 'stackexchange', matches: (r) => 'question_title' in r && 'answers' in r },
  {
    shape: 'datacreek',
    matches: (r) => 'id' in r && typeof r.type === 'string' && DATASET_TYPES.includes(r.type as DatasetType),
  },
  { shape: 'sharegpt', matches: (r) => 'conversations' in r },
  { shape: 'openai-messages', matches: (r) => 'messages' in r },
  { shape: 'preference', matches: (r) => 'chosen' in r && 'rejected' in r },
  { shape: 'alpaca', matches: (r) => 'instruction' in r && 'output' in r },
  { shape: 'qa', matches: (r) => 'question' in r && 'answer' in r },
];

export interface DetectedShape {
  shape?: Exclude<DatasetShape, 'mapped'>;
  /** Column names seen in the sample, for an error that shows the user what their file holds. */
  columnsSeen: string[];
}

export function detectShape(rows: readonly unknown[]): DetectedShape {
  const votes = new Map<Exclude<DatasetShape, 'mapped'>, number>();
  const columns = new Set<string>();
  for (const row of rows.slice(0, SAMPLE_SIZE)) {
    if (!isObject(row)) continue;
    Object.keys(row).forEach((k) => columns.add(k));
    const match = SIGNATURES.find((s) => s.matches(row));
    if (match) votes.set(match.shape, (votes.get(match.shape) ?? 0) + 1);
  }
  let shape: Exclude<DatasetShape, 'mapped'> | undefined;
  let best = 0;
  for (const [candidate, count] of votes) {
    if (count > best) [shape, best] = [candidate, count];
  }
  return { shape, columnsSeen: [...columns] };
}
