// The vocabulary of the formats library: which dataset shapes it reads, which training formats it
// writes, and what an import reports back. Record shapes themselves live in src/domain/records/types.ts.
import type { DatasetType, RecordContent } from '../records';

/** How rows of an existing dataset are laid out; `auto` detects it per file. */
export const DATASET_SHAPES = [
  'alpaca',
  'sharegpt',
  'openai-messages',
  'qa',
  'preference',
  'stackexchange',
  'mapped',
  // Rows written by datacreek's own `jsonl` / `csv` export: `{ id, type, ...content, score, metadata }`.
  'datacreek',
] as const;
export type DatasetShape = (typeof DATASET_SHAPES)[number];

/** One record read from an existing dataset, ready to become a seed record. */
export interface ImportedRecord {
  /** 0-based index of the row among the file's data rows (bad rows count too, so positions are stable). */
  position: number;
  content: RecordContent;
  /** Provenance and fields kept for exact round trips (e.g. Alpaca's separate instruction/input). */
  metadata: Record<string, unknown>;
}

/** A row that was not imported. `line` (1-based) for line formats (JSONL, CSV), `index` (0-based) otherwise. */
export interface ImportProblem {
  line?: number;
  index?: number;
  message: string;
}

export interface ImportResult {
  shape: DatasetShape;
  records: ImportedRecord[];
  /** Rows left out on purpose (e.g. unanswered questions), with the reason. */
  skipped: ImportProblem[];
  /** Rows that could not be read or did not match the shape. */
  problems: ImportProblem[];
}

export interface ImportOptions {
  shape?: DatasetShape | 'auto';
  /** Target field → source column (dot paths allowed), e.g. `{ question: 'prompt', answer: 'meta.response' }`. */
  mapping?: Record<string, string>;
  /** Record type the mapping targets; inferred from the mapping's keys when absent. */
  mapToType?: DatasetType;
  /** Rows with a text value larger than this many UTF-8 bytes are reported by line and left out. */
  maxFieldBytes?: number;
  /** Rows with a list (messages, turns) longer than this are reported by line and left out. */
  maxMessagesPerRow?: number;
}

// The format names live with the other shared constants, so the config schema (infrastructure) can check
// `export.format` without importing the formats library; this module is where the rest of the code finds them.
export { EXPORT_FORMATS, EXPORT_FORMAT_ALIASES, EXPORT_FORMAT_NAMES, type ExportFormat } from '../../infra/common';

/** How a chain-of-thought record becomes one assistant message. */
export const DEFAULT_COT_TEMPLATE = '{reasoning}\n\nAnswer: {answer}';

export interface ExportMappingOptions {
  /** Prepended as a system message in chat formats (and Alpaca's `system`) unless a record has its own. */
  systemPrompt?: string;
  /** Template for cot records' assistant text with `{reasoning}` and `{answer}`; default DEFAULT_COT_TEMPLATE. */
  cotTemplate?: string;
  /**
   * Add each record's metadata as a `metadata` field to alpaca / sharegpt / openai-chat rows, so that a later
   * import restores it (e.g. Alpaca's separate instruction/input after a trip through ShareGPT). Off by
   * default: trainers load every column, and metadata whose fields differ from row to row can break the
   * schema inference of `datasets.load_dataset('json')`.
   */
  keepMetadata?: boolean;
}
