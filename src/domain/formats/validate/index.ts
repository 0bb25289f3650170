// validateExport: does this file load in the trainer it is meant for? Every problem comes with its line.
// JSON Lines (and JSON arrays, which LLaMA-Factory also reads), CSV exports, and the `hf` directory.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { parse as parseYaml } from 'yaml';
import { parseCsv } from '../csv';
import { datacreekRow } from '../import/simple-rows';
import type { ExportFormat } from '../types';
import { alpacaRule, axolotlChatTemplateRule, datacreekRule, dpoRule, ktoRule, openaiChatRule, sharegptRule, textRule, type RowRule } from './rules';

/** Export formats plus the trainer dialects their files are checked against. */
export type ValidationFormat = ExportFormat | 'axolotl-chat-template';

export interface ValidationProblem {
  /** 1-based line of the row (for Parquet: the row number, and the message names the file); 0 = the whole file. */
  line: number;
  message: string;
}

export interface ValidationResult {
  ok: boolean;
  problems: ValidationProblem[];
  /** Rows that were read (well-formed JSON or CSV rows), valid or not. */
  records: number;
}

const LINE_RULES: Readonly<Record<Exclude<ValidationFormat, 'csv' | 'hf'>, RowRule>> = {
  jsonl: datacreekRule,
  alpaca: alpacaRule,
  'openai-chat': openaiChatRule,
  sharegpt: sharegptRule,
  dpo: dpoRule,
  kto: ktoRule,
  text: textRule,
  'axolotl-chat-template': axolotlChatTemplateRule,
};

/** A string is the file's text; `{ path }` reads a file (or, for `hf`, a dataset directory). */
export async function validateExport(input: string | { path: string }, format: ValidationFormat): Promise<ValidationResult> {
  if (format === 'hf') {
    if (typeof input === 'string') {
      return result([{ line: 0, message: 'an hf export is a directory: pass { path } to it' }], 0);
    }
    return validateHfDirectory(input.path);
  }
  const text = typeof input === 'string' ? input : await readFile(input.path, 'utf8');
  return validateExportText(text, format);
}

export function validateExportText(text: string, format: Exclude<ValidationFormat, 'hf'>): ValidationResult {
  if (format === 'csv') return validateCsv(text);
  const rule = LINE_RULES[format];
  const { rows, problems } = text.trimStart().startsWith('[') ? jsonArrayRows(text) : jsonLineRows(text);
  for (const { line, value } of rows) {
    for (const message of rule(value)) problems.push({ line, message });
  }
  if (rows.length === 0 && problems.length === 0) problems.push({ line: 1, message: 'the file has no rows' });
  problems.sort((a, b) => a.line - b.line);
  return result(problems, rows.length);
}

function result(problems: ValidationProblem[], records: number): ValidationResult {
  return { ok: problems.length === 0, problems, records };
}

interface LocatedRow {
  line: number;
  value: unknown;
}

function jsonLineRows(text: string): { rows: LocatedRow[]; problems: ValidationProblem[] } {
  const rows: LocatedRow[] = [];
  const problems: ValidationProblem[] = [];
  const lines = text.split('\n');
  // A final newline leaves one empty string behind; that is not a blank line.
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') {
      problems.push({ line, message: 'blank line (JSON Lines has one JSON value on every line)' });
      return;
    }
    try {
      rows.push({ line, value: JSON.parse(raw) });
    } catch (error) {
      problems.push({ line, message: `invalid JSON: ${(error as Error).message}` });
    }
  });
  return { rows, problems };
}

/** A JSON array document: each element is reported at the line where it starts. */
function jsonArrayRows(text: string): { rows: LocatedRow[]; problems: ValidationProblem[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : 1;
    return { rows: [], problems: [{ line, message: `invalid JSON: ${message}` }] };
  }
  if (!Array.isArray(parsed)) return { rows: [], problems: [{ line: 1, message: 'not a JSON array' }] };
  const lines = arrayElementLines(text);
  return { rows: parsed.map((value, i) => ({ line: lines[i] ?? 1, value })), problems: [] };
}

/** Lines where the top-level array's elements begin, found by a string-aware bracket scan. */
function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (depth === 1 && expectValue && !/\s/.test(ch) && ch !== ']') {
      lines.push(line);
      expectValue = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expectValue = true;
  }
  return lines;
}

function validateCsv(text: string): ValidationResult {
  const { rows, unterminatedQuoteLine } = parseCsv(text.replace(/^\uFEFF/, ''));
  const problems: ValidationProblem[] = [];
  if (unterminatedQuoteLine !== undefined) {
    problems.push({ line: unterminatedQuoteLine, message: 'a quoted field starting here is never closed' });
  }
  const [header, ...dataRows] = rows;
  if (!header) return result([{ line: 1, message: 'the file has no header row' }], 0);
  const columns = header.fields;
  for (const required of ['id', 'type']) {
    if (!columns.includes(required)) problems.push({ line: header.line, message: `the header lacks the "${required}" column` });
  }
  for (const row of dataRows) {
    if (row.fields.length !== columns.length) {
      problems.push({ line: row.line, message: `has ${row.fields.length} fields but the header has ${columns.length}` });
      continue;
    }
    const value = Object.fromEntries(columns.map((c, i) => [c, row.fields[i]]));
    const outcome = datacreekRow(value);
    if (outcome.kind !== 'record') problems.push({ line: row.line, message: outcome.message });
    else if (!row.fields[columns.indexOf('id')]) problems.push({ line: row.line, message: '"id" is empty' });
  }
  return result(problems, dataRows.length);
}

/** The `hf` layout: a dataset card declaring its splits, and Parquet files whose rows train. */
async function validateHfDirectory(directory: string): Promise<ValidationResult> {
  const problems: ValidationProblem[] = [];
  let card: string;
  try {
    card = await readFile(join(directory, 'README.md'), 'utf8');
  } catch {
    return result([{ line: 0, message: `${directory}: README.md (the dataset card) is missing` }], 0);
  }
  const frontMatter = /^---\n([\s\S]*?)\n---/.exec(card);
  const meta = frontMatter ? (parseYaml(frontMatter[1]) as { configs?: { data_files?: { split: string; path: string }[] }[] }) : undefined;
  const dataFiles = meta?.configs?.[0]?.data_files;
  if (!dataFiles || dataFiles.length === 0) {
    return result([{ line: 1, message: 'README.md: the YAML front matter declares no configs[0].data_files' }], 0);
  }
  let records = 0;
  for (const { split, path } of dataFiles) {
    const files = await filesMatching(directory, path);
    if (files.length === 0) {
      problems.push({ line: 0, message: `split ${split}: no file matches ${path}` });
      continue;
    }
    for (const file of files) {
      const bytes = await readFile(join(directory, file));
      const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
      records += rows.length;
      const rule = rows[0] && 'messages' in rows[0] ? openaiChatRule : dpoRule;
      rows.forEach((row, i) => {
        const { id: _id, ...trainable } = row;
        for (const message of rule(trainable)) problems.push({ line: i + 1, message: `${file}: ${message}` });
      });
    }
  }
  return result(problems, records);
}

/** The `data/train-*` patterns the Hub uses: a directory plus a file-name prefix glob. */
async function filesMatching(directory: string, pattern: string): Promise<string[]> {
  const slash = pattern.lastIndexOf('/');
  const folder = slash >= 0 ? pattern.slice(0, slash) : '';
  const namePattern = new RegExp(
    `^${pattern
      .slice(slash + 1)
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')}$`,
  );
  try {
    const absolute = join(directory, folder);
    if (!(await stat(absolute)).isDirectory()) return [];
    return (await readdir(absolute)).filter((name) => namePattern.test(name)).map((name) => join(folder, name));
  } catch {
    return [];
  }
}
