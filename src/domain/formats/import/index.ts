// importDataset: an existing dataset file (JSON, JSONL, CSV, Parquet) in any known layout → records that
// seed the build loop, plus an account of every row left out and why.
import type { DatasetType } from '../../records';
import { DatasetFormatError } from '../errors';
import { readRows, type SourceRow } from '../read-rows';
import type { DatasetShape, ImportOptions, ImportProblem, ImportResult, ImportedRecord } from '../types';
import { alpacaRow, openaiMessagesRow, sharegptRow } from './chat-rows';
import { detectShape } from './detect';
import { rowLimitViolation } from './row-limits';
import { isObject, problem, type RowOutcome } from './row-values';
import { datacreekRow, inferMappedType, mappedRow, mappingError, preferenceRow, qaRow } from './simple-rows';
import { stackexchangeRow } from './stackexchange';

export { composeAlpacaPrompt } from './row-values';

type RowReader = (row: Record<string, unknown>) => RowOutcome;

const ROW_READERS: Readonly<Record<Exclude<DatasetShape, 'mapped'>, RowReader>> = {
  alpaca: alpacaRow,
  sharegpt: sharegptRow,
  'openai-messages': openaiMessagesRow,
  qa: qaRow,
  preference: preferenceRow,
  stackexchange: stackexchangeRow,
  datacreek: datacreekRow,
};

export async function importDataset(input: { fileName: string; bytes: Uint8Array }, opts: ImportOptions = {}): Promise<ImportResult> {
  const { fileName } = input;
  const { rows, problems: readProblems } = await readRows(fileName, input.bytes);
  const { shape, readRow } = chooseRowReader(fileName, rows, opts);
  const limits = { maxFieldBytes: opts.maxFieldBytes, maxMessagesPerRow: opts.maxMessagesPerRow };

  const records: ImportedRecord[] = [];
  const skipped: ImportProblem[] = [];
  const problems: ImportProblem[] = [...readProblems];
  for (const row of rows) {
    const overLimit = rowLimitViolation(row.value, limits);
    const outcome = overLimit ? problem(overLimit) : isObject(row.value) ? readRow(row.value) : problem(`is ${describeValue(row.value)}, not an object`);
    if (outcome.kind === 'record') {
      records.push({ position: row.position, content: outcome.content, metadata: outcome.metadata });
    } else {
      (outcome.kind === 'skip' ? skipped : problems).push({ ...row.where, message: outcome.message });
    }
  }
  problems.sort((a, b) => (a.line ?? a.index ?? 0) - (b.line ?? b.index ?? 0));

  if (records.length === 0 && rows.length > 0 && skipped.length === 0) {
    const first = problems[0];
    throw new DatasetFormatError(
      fileName,
      `no row could be read as ${shape} (first problem, ${describeWhere(first)}: ${first?.message ?? 'unknown'})`,
      'Pass the right shape, or a mapping such as { question: "prompt_column", answer: "response_column" }',
    );
  }
  return { shape, records, skipped, problems };
}

function chooseRowReader(fileName: string, rows: SourceRow[], opts: ImportOptions): { shape: DatasetShape; readRow: RowReader } {
  const wanted = opts.shape ?? 'auto';
  if (opts.mapping || wanted === 'mapped') {
    if (!opts.mapping || Object.keys(opts.mapping).length === 0) {
      throw new DatasetFormatError(
        fileName,
        'shape "mapped" needs a mapping',
        'Pass mapping: { targetField: "source.column" }, e.g. { question: "prompt", answer: "response" }',
      );
    }
    const mapping = opts.mapping;
    const type: DatasetType = opts.mapToType ?? inferMappedType(mapping);
    const error = mappingError(mapping, type);
    if (error) throw new DatasetFormatError(fileName, error, 'Fix the mapping keys (or pass mapToType)');
    return { shape: 'mapped', readRow: (row) => mappedRow(row, mapping, type) };
  }
  if (wanted !== 'auto') return { shape: wanted, readRow: ROW_READERS[wanted] };

  const detected = detectShape(rows.map((r) => r.value));
  if (!detected.shape) {
    if (rows.length === 0) return { shape: 'qa', readRow: ROW_READERS.qa };
    throw new DatasetFormatError(
      fileName,
      `cannot tell the dataset layout from its columns (${detected.columnsSeen.join(', ') || 'none'})`,
      'Pass shape (alpaca, sharegpt, openai-messages, qa, preference, stackexchange) or a mapping such as { question: "prompt_column", answer: "response_column" }',
    );
  }
  return { shape: detected.shape, readRow: ROW_READERS[detected.shape] };
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? 'a string' : typeof value;
}

function describeWhere(problem: ImportProblem | undefined): string {
  if (problem?.line !== undefined) return `line ${problem.line}`;
  if (problem?.index !== undefined) return `row ${problem.index}`;
  return 'file';
}
