// Small, forgiving readers for values inside dataset rows. Real files hold numbers where text is
// expected, JSON strings where lists are expected (CSV cells), and nested paths (`meta.answer`).
import type { RecordContent } from '../../records';

/** What a row becomes: a record, a deliberate skip (with reason), or a problem (with reason). */
export type RowOutcome =
  | { kind: 'record'; content: RecordContent; metadata: Record<string, unknown> }
  | { kind: 'skip'; message: string }
  | { kind: 'problem'; message: string };

export const problem = (message: string): RowOutcome => ({ kind: 'problem', message });
export const skip = (message: string): RowOutcome => ({ kind: 'skip', message });
export const record = (content: RecordContent, metadata: Record<string, unknown> = {}): RowOutcome => ({
  kind: 'record',
  content,
  metadata,
});

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Follows `a.b.0.c`; a key that itself contains dots is found first as a whole. */
export function getPath(row: unknown, path: string): unknown {
  if (isObject(row) && path in row) return row[path];
  let current: unknown = row;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Text from a string, number or boolean; undefined for anything else (missing, null, objects). */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** A list, or a JSON string holding one (how CSV cells carry lists). */
export function asList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string' && value.trimStart().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(value);
      return Array.isArray(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** An object, or a JSON string holding one. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  if (isObject(value)) return value;
  if (typeof value === 'string' && value.trimStart().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(value);
      return isObject(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Reads a required text field; the error names the field as the file spells it. */
export function requiredText(row: Record<string, unknown>, field: string): { value: string } | { error: string } {
  const raw = getPath(row, field);
  if (raw === undefined || raw === null) return { error: `"${field}" is missing` };
  const text = asText(raw);
  if (text === undefined) return { error: `"${field}" is ${Array.isArray(raw) ? 'a list' : typeof raw}, not text` };
  if (text.trim() === '') return { error: `"${field}" is empty` };
  return { value: text };
}

/** Alpaca's rule for the user turn: the instruction, then the input (if any) after a blank line. */
export function composeAlpacaPrompt(instruction: string, input: string): string {
  return input.trim() === '' ? instruction : `${instruction}\n\n${input}`;
}

/** Carries the source row's own id (ShareGPT `id`, datacreek `id` …) as provenance. */
export function sourceIdOf(row: Record<string, unknown>): Record<string, unknown> {
  const id = asText(row.id);
  return id === undefined ? {} : { sourceId: id };
}

/** Metadata a datacreek export embedded in the row (`keepMetadata`), restored on import. */
export function embeddedMetadataOf(row: Record<string, unknown>): Record<string, unknown> {
  return asObject(row.metadata) ?? {};
}
