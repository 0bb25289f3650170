// datacreek's CSV export: one row per record, one column per content field of the record types present,
// lists and metadata as JSON text. Imports back through the `datacreek` shape.
import type { DatasetRecord } from '../../records';
import { rawRowOf } from './record-mapping';

/** Content columns in a fixed order, so files from different runs line up. */
const CONTENT_COLUMNS = ['question', 'reasoning', 'answer', 'instruction', 'input', 'summary', 'prompt', 'chosen', 'rejected', 'messages'] as const;

export function csvColumnsFor(records: readonly DatasetRecord[]): string[] {
  const present = new Set<string>();
  for (const { content } of records) Object.keys(content).forEach((k) => present.add(k));
  return ['id', 'type', ...CONTENT_COLUMNS.filter((c) => present.has(c)), 'score', 'source', 'metadata'];
}

export function csvValuesOf(record: DatasetRecord, columns: readonly string[]): string[] {
  const row = rawRowOf(record);
  return columns.map((column) => {
    const value = row[column];
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return JSON.stringify(value);
  });
}
