// FilterByValueBlock: keeps rows whose column compares true against any of the values (a list means OR),
// after an optional conversion to int, float or bool with Python's rules. A value that does not convert
// takes the default (0, 0.0, False, or default_value), as InstructLab does, and is named in the reason if
// that row is then filtered out.
import type { BlockOutput } from './column-blocks';
import type { PipelineRow } from '../types';

export type FilterOperation = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'contains';
export type DType = 'int' | 'float' | 'bool';

export interface FilterByValueConfig {
  filter_column: string;
  filter_value: string | number | (string | number)[];
  operation: FilterOperation;
  convert_dtype?: DType;
  default_value?: string;
}

type Converted = { ok: true; value: unknown } | { ok: false; error: string };

const FLOAT = /^[+-]?(?:(?:\d[\d_]*)?\.?\d[\d_]*(?:e[+-]?\d+)?|\d[\d_]*\.|inf(?:inity)?|nan)$/i;
const INT = /^[+-]?\d[\d_]*$/;

/** Python's int(), float() and bool() on one value. */
export function convertPython(value: unknown, dtype: DType): Converted {
  if (dtype === 'bool') {
    if (typeof value === 'string') return { ok: true, value: value.length > 0 };
    if (Array.isArray(value)) return { ok: true, value: value.length > 0 };
    return { ok: true, value: Boolean(value) };
  }
  if (typeof value === 'boolean') return { ok: true, value: value ? 1 : 0 };
  if (typeof value === 'number') {
    if (dtype === 'float') return { ok: true, value };
    if (!Number.isFinite(value)) return { ok: false, error: `cannot convert ${value} to int` };
    return { ok: true, value: Math.trunc(value) };
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (dtype === 'int') {
      return INT.test(text)
        ? { ok: true, value: Number.parseInt(text.replace(/_/g, ''), 10) }
        : { ok: false, error: `invalid literal for int(): ${JSON.stringify(value)}` };
    }
    if (!FLOAT.test(text)) return { ok: false, error: `could not convert string to float: ${JSON.stringify(value)}` };
    const lower = text.toLowerCase().replace(/_/g, '');
    if (lower.endsWith('inf') || lower.endsWith('infinity')) return { ok: true, value: lower.startsWith('-') ? -Infinity : Infinity };
    if (lower.endsWith('nan')) return { ok: true, value: NaN };
    return { ok: true, value: Number(lower) };
  }
  return { ok: false, error: `cannot convert ${value === null ? 'None' : typeof value} to ${dtype}` };
}

const DEFAULTS: Record<DType, unknown> = { int: 0, float: 0, bool: false };

function converter(dtype: DType | undefined, defaultValue: string | undefined): (value: unknown) => { value: unknown; error?: string } {
  if (!dtype) return (value) => ({ value });
  let fallback = DEFAULTS[dtype];
  if (defaultValue !== undefined) {
    const converted = convertPython(defaultValue, dtype);
    if (!converted.ok) throw new Error(`default_value ${JSON.stringify(defaultValue)} is not a valid ${dtype}: ${converted.error}`);
    fallback = converted.value;
  }
  return (value) => {
    const converted = convertPython(value, dtype);
    return converted.ok ? { value: converted.value } : { value: fallback, error: converted.error };
  };
}

/** Python's comparison operators; comparing a string with a number by order is a TypeError there, an error here. */
export function compare(op: FilterOperation, left: unknown, right: unknown): { ok: true; result: boolean } | { ok: false; error: string } {
  if (op === 'eq') return { ok: true, result: left === right || (typeof left === 'number' && typeof right === 'number' && left === right) };
  if (op === 'ne') return { ok: true, result: left !== right };
  if (op === 'contains') {
    if (typeof left === 'string')
      return typeof right === 'string'
        ? { ok: true, result: left.includes(right) }
        : { ok: false, error: `'in <string>' requires string as left operand, not ${typeof right}` };
    if (Array.isArray(left)) return { ok: true, result: left.includes(right) };
    return { ok: false, error: `a ${left === null ? 'None' : typeof left} value cannot contain anything` };
  }
  const bothNumbers = (typeof left === 'number' || typeof left === 'boolean') && (typeof right === 'number' || typeof right === 'boolean');
  const bothStrings = typeof left === 'string' && typeof right === 'string';
  if (!bothNumbers && !bothStrings) return { ok: false, error: `'${op}' not supported between ${typeof left} and ${typeof right}` };
  const [a, b] = bothNumbers ? [Number(left), Number(right)] : [left as string, right as string];
  const result = op === 'gt' ? a > b : op === 'ge' ? a >= b : op === 'lt' ? a < b : a <= b;
  return { ok: true, result };
}

export function filterByValue(rows: PipelineRow[], config: FilterByValueConfig): BlockOutput {
  const convert = converter(config.convert_dtype, config.default_value);
  const values = (Array.isArray(config.filter_value) ? config.filter_value : [config.filter_value]).map((v) => convert(v).value);
  const out: BlockOutput = { rows: [], rejects: [] };
  const column = config.filter_column;
  for (const row of rows) {
    if (!(column in row.data)) {
      out.rejects.push({ rowId: row.id, reason: `missing_column: the row has no "${column}"`, data: row.data });
      continue;
    }
    const converted = convert(row.data[column]);
    const data = config.convert_dtype ? { ...row.data, [column]: converted.value } : row.data;
    let error: string | undefined;
    const keep = values.some((value) => {
      const outcome = compare(config.operation, converted.value, value);
      if (!outcome.ok) error = outcome.error;
      return outcome.ok && outcome.result;
    });
    if (keep) out.rows.push({ id: row.id, data });
    else if (converted.error)
      out.rejects.push({
        rowId: row.id,
        reason: `convert_failed: ${converted.error} (used ${String(converted.value)}, which fails ${config.operation} ${values.join(' | ')})`,
        data: row.data,
      });
    else if (error) out.rejects.push({ rowId: row.id, reason: `compare_error: ${error}`, data: row.data });
    else
      out.rejects.push({
        rowId: row.id,
        reason: `filtered: ${column}=${JSON.stringify(converted.value)} is not ${config.operation} ${values.map((v) => JSON.stringify(v)).join(' or ')}`,
        data: row.data,
      });
  }
  return out;
}
