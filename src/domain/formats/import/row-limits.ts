// Hard limits on one imported row, so a hostile dataset cannot turn a single row into a 30 MB seed record or a
// conversation of a million turns, nor hold a NUL character (PostgreSQL refuses it and would fail the whole file). A row over a limit becomes a problem reported by its line; the others import.
import { describeBytes } from '../../parsers';
import { isObject } from './row-values';

export interface RowLimits {
  /** Largest text value, in UTF-8 bytes, anywhere in a row. */
  maxFieldBytes?: number;
  /** Most entries in any list in a row (messages, conversations, turns). */
  maxMessagesPerRow?: number;
}

/** Why the row breaks a limit, or undefined when it is within them. */
export function rowLimitViolation(row: unknown, limits: RowLimits): string | undefined {
  const maxField = limits.maxFieldBytes ?? Infinity;
  const maxItems = limits.maxMessagesPerRow ?? Infinity;
  return visit(row, '', maxField, maxItems, 0);
}

/** Rows nest a few levels at most (messages → content parts); deeper structures are not walked further. */
const MAX_WALK_DEPTH = 8;

function visit(value: unknown, where: string, maxField: number, maxItems: number, depth: number): string | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return `field "${where || 'value'}" contains a NUL character, which cannot be stored; remove it`;
    // A string's UTF-8 size is at most 3 bytes per UTF-16 unit: only long strings need the exact count.
    if (value.length * 3 > maxField) {
      const bytes = Buffer.byteLength(value, 'utf8');
      if (bytes > maxField) {
        return `field "${where || 'value'}" is ${describeBytes(bytes)}, over the ${describeBytes(maxField)} limit per field (ingest.max_field_bytes); shorten it or raise the limit`;
      }
    }
    return undefined;
  }
  if (depth >= MAX_WALK_DEPTH) return undefined;
  if (Array.isArray(value)) {
    if (value.length > maxItems) {
      return `field "${where || 'value'}" has ${value.length.toLocaleString('en-US')} entries, over the limit of ${maxItems.toLocaleString('en-US')} messages per row (ingest.max_messages_per_row); split the conversation or raise the limit`;
    }
    for (let i = 0; i < value.length; i++) {
      const found = visit(value[i], `${where}[${i}]`, maxField, maxItems, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      const found = visit(child, where ? `${where}.${key}` : key, maxField, maxItems, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}
