// Turns the bytes of a dataset file into plain rows (objects), whatever the container:
// JSON (an array, or an object holding one under data/records/rows), JSON Lines, CSV/TSV, Parquet.
// A broken file fails as a whole with its position; a broken line only loses that line.
import { parquetReadObjects } from 'hyparquet';
import { parseCsv } from './csv';
import { DatasetFormatError } from './errors';
import type { ImportProblem } from './types';

export type FileContainer = 'json' | 'jsonl' | 'csv' | 'tsv' | 'parquet';

export interface SourceRow {
  /** 0-based index among the file's data rows. */
  position: number;
  /** Where a person finds the row: `line` for JSONL/CSV, `index` for JSON arrays and Parquet. */
  where: { line?: number; index?: number };
  value: unknown;
}

export interface ReadRowsResult {
  container: FileContainer;
  rows: SourceRow[];
  problems: ImportProblem[];
}

const ARRAY_WRAPPER_KEYS = ['data', 'records', 'rows'] as const;
const PARQUET_MAGIC = 'PAR1';

export async function readRows(fileName: string, bytes: Uint8Array): Promise<ReadRowsResult> {
  const container = detectContainer(fileName, bytes);
  if (container === 'parquet') return readParquetRows(fileName, bytes);
  const text = decodeUtf8(fileName, bytes);
  switch (container) {
    case 'csv':
      return readCsvRows(fileName, text, ',');
    case 'tsv':
      return readCsvRows(fileName, text, '\t');
    case 'jsonl':
      return readJsonLines(text);
    case 'json':
      return readJsonDocument(fileName, text);
  }
}

function detectContainer(fileName: string, bytes: Uint8Array): FileContainer {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.parquet')) return 'parquet';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.tsv')) return 'tsv';
  if (lower.endsWith('.json')) return 'json';
  if (bytes.length >= 4 && new TextDecoder().decode(bytes.subarray(0, 4)) === PARQUET_MAGIC) return 'parquet';
  const start = new TextDecoder()
    .decode(bytes.subarray(0, 64))
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (start.startsWith('[') || start.startsWith('{')) return 'json';
  throw new DatasetFormatError(fileName, 'cannot tell the file type from its name or first bytes', 'Name it .json, .jsonl, .csv, .tsv or .parquet');
}

function decodeUtf8(fileName: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new DatasetFormatError(fileName, 'the file is not valid UTF-8 text', 'Re-save it with UTF-8 encoding');
  }
}

/** A `.json` file that is really JSON Lines (very common) is read as JSON Lines instead of failing. */
function readJsonDocument(fileName: string, text: string): ReadRowsResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    if (looksLikeJsonLines(text)) return readJsonLines(text);
    throw invalidJsonError(fileName, text, error as Error);
  }
  const list = Array.isArray(parsed) ? parsed : arrayInsideWrapper(parsed);
  if (list === undefined) {
    // A single object is a one-row dataset (e.g. one conversation saved on its own).
    if (parsed !== null && typeof parsed === 'object') {
      return { container: 'json', rows: [{ position: 0, where: { index: 0 }, value: parsed }], problems: [] };
    }
    throw new DatasetFormatError(
      fileName,
      `the JSON holds a ${parsed === null ? 'null' : typeof parsed}, not a list of records`,
      `Use an array of objects, or an object with a ${ARRAY_WRAPPER_KEYS.join('/')} array`,
    );
  }
  return {
    container: 'json',
    rows: list.map((value, index) => ({ position: index, where: { index }, value })),
    problems: [],
  };
}

function arrayInsideWrapper(parsed: unknown): unknown[] | undefined {
  if (parsed === null || typeof parsed !== 'object') return undefined;
  for (const key of ARRAY_WRAPPER_KEYS) {
    const inner = (parsed as Record<string, unknown>)[key];
    if (Array.isArray(inner)) return inner;
  }
  return undefined;
}

function looksLikeJsonLines(text: string): boolean {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return false;
  try {
    const first = JSON.parse(lines[0]);
    return first !== null && typeof first === 'object' && !Array.isArray(first);
  } catch {
    return false;
  }
}

function invalidJsonError(fileName: string, text: string, error: Error): DatasetFormatError {
  const position = jsonErrorPosition(error.message, text);
  const where = position === undefined ? '' : ` at ${describePosition(text, position)}`;
  return new DatasetFormatError(
    fileName,
    `invalid JSON${where}: ${error.message}`,
    'Fix the syntax there (a missing comma, quote or bracket is typical); a file with one JSON object per line should be named .jsonl',
  );
}

/** Node's messages say "at position N" (or "line L column C"); an unexpected end has no number. */
function jsonErrorPosition(message: string, text: string): number | undefined {
  const byPosition = /position (\d+)/.exec(message);
  if (byPosition) return Number(byPosition[1]);
  const byLine = /line (\d+) column (\d+)/.exec(message);
  if (byLine) return offsetOfLineColumn(text, Number(byLine[1]), Number(byLine[2]));
  if (/end of (JSON|data)/i.test(message)) return text.length;
  return undefined;
}

function offsetOfLineColumn(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) offset = text.indexOf('\n', offset) + 1;
  return offset + column - 1;
}

export function describePosition(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}, column ${column} (position ${position})`;
}

export function readJsonLines(text: string): ReadRowsResult {
  const rows: SourceRow[] = [];
  const problems: ImportProblem[] = [];
  const lines = text.split('\n');
  let position = 0;
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const lineNumber = i + 1;
    try {
      rows.push({ position, where: { line: lineNumber }, value: JSON.parse(line) });
    } catch (error) {
      problems.push({ line: lineNumber, message: `invalid JSON: ${(error as Error).message}` });
    }
    position++;
  });
  return { container: 'jsonl', rows, problems };
}

function readCsvRows(fileName: string, text: string, delimiter: string): ReadRowsResult {
  const { rows: csvRows, unterminatedQuoteLine } = parseCsv(text, delimiter);
  const problems: ImportProblem[] = [];
  if (unterminatedQuoteLine !== undefined) {
    problems.push({
      line: unterminatedQuoteLine,
      message: 'a quoted field starting here is never closed; the rest of the file was not read',
    });
  }
  const [header, ...dataRows] = csvRows;
  if (!header) {
    throw new DatasetFormatError(fileName, 'the file has no header row', 'Put the column names on the first line');
  }
  const columns = header.fields.map((name) => name.trim());
  const rows: SourceRow[] = [];
  dataRows.forEach((row, position) => {
    if (row.fields.length !== columns.length) {
      problems.push({
        line: row.line,
        message: `has ${row.fields.length} fields but the header has ${columns.length} (check quoting of commas and line breaks)`,
      });
      return;
    }
    const value: Record<string, string> = {};
    columns.forEach((name, c) => (value[name] = row.fields[c]));
    rows.push({ position, where: { line: row.line }, value });
  });
  return { container: delimiter === '\t' ? 'tsv' : 'csv', rows, problems };
}

async function readParquetRows(fileName: string, bytes: Uint8Array): Promise<ReadRowsResult> {
  // hyparquet reads from an ArrayBuffer; copy out exactly this view's bytes.
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let objects: Record<string, unknown>[];
  try {
    objects = await parquetReadObjects({ file });
  } catch (error) {
    throw new DatasetFormatError(
      fileName,
      `cannot read the Parquet file: ${(error as Error).message}`,
      'Check that the file is complete and not compressed with an unsupported codec (SNAPPY, GZIP, ZSTD are safe)',
    );
  }
  return {
    container: 'parquet',
    rows: objects.map((value, index) => ({ position: index, where: { index }, value: withPlainNumbers(value) })),
    problems: [],
  };
}

/** Parquet INT64 arrives as BigInt; JSON-minded code (and JSON.stringify) wants numbers. */
function withPlainNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (Array.isArray(value)) return value.map(withPlainNumbers);
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPlainNumbers(v)]));
  }
  return value;
}
