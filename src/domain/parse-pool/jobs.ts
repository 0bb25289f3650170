// The work a parse thread does: turn one file's bytes into a parsed document or imported dataset rows. Defined
// apart from the pool so the thread loads only the parsers, never Temporal, the database or the API.
import { chunkDocument, type Chunk, type ChunkOptions } from '../chunking';
import { importDataset } from '../formats';
import type { DatasetShape, ImportOptions, ImportProblem } from '../formats/types';
import { parseDocument, type ParsedDocument, type ParseOptions } from '../parsers';

/** Chunking that needs no embeddings (every strategy but semantic), done in the thread right after parsing. */
export type ThreadChunkOptions = Omit<ChunkOptions, 'embed' | 'embedBatchSize'> & { strategy: 'basic' | 'sliding' | 'token' };

export type ParseJob =
  | { kind: 'document'; fileName: string; bytes: Uint8Array; options: ParseOptions; chunking?: ThreadChunkOptions }
  | { kind: 'dataset'; fileName: string; bytes: Uint8Array; options: ImportOptions };

/**
 * A parsed document, with its chunks when the job asked for them: cutting 10 MB of text into token-measured
 * chunks takes seconds, which belong in the thread as much as the parsing does.
 */
export interface ParsedJobDocument {
  document: ParsedDocument;
  chunks?: Chunk[];
}

/**
 * An imported dataset as it leaves the parse thread. Records travel as JSON text in batches, handed to PostgreSQL
 * as they are: copying 600,000 record objects between threads (and building them again) would block the worker's
 * event loop for seconds, which is what the thread is there to prevent.
 */
export interface PackedImport {
  shape: DatasetShape;
  recordCount: number;
  /** Each a JSON array of `{ position, content, metadata }`. */
  batches: string[];
  skippedCount: number;
  problemCount: number;
  /** The first problems in file order (at most PROBLEMS_KEPT), for the message and the source's metadata. */
  problems: ImportProblem[];
  firstSkipped?: ImportProblem;
}

export const RECORDS_PER_BATCH = 1_000;
const PROBLEMS_KEPT = 100;

export type ParseJobResult<J extends ParseJob> = J extends { kind: 'document' } ? ParsedJobDocument : PackedImport;

export async function runParseJob(job: ParseJob): Promise<ParsedJobDocument | PackedImport> {
  if (job.kind === 'document') {
    const document = await parseDocument({ fileName: job.fileName, bytes: job.bytes }, job.options);
    return { document, chunks: job.chunking ? await chunkDocument(document, job.chunking) : undefined };
  }
  const imported = await importDataset({ fileName: job.fileName, bytes: job.bytes }, job.options);
  const batches: string[] = [];
  for (let i = 0; i < imported.records.length; i += RECORDS_PER_BATCH) {
    batches.push(JSON.stringify(imported.records.slice(i, i + RECORDS_PER_BATCH)));
  }
  return {
    shape: imported.shape,
    recordCount: imported.records.length,
    batches,
    skippedCount: imported.skipped.length,
    problemCount: imported.problems.length,
    problems: imported.problems.slice(0, PROBLEMS_KEPT),
    firstSkipped: imported.skipped[0],
  };
}

/** An error as it crosses the thread boundary: the fields datacreek's error handling reads. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  hint?: string;
  fileName?: string;
  retryable?: boolean;
}

export function serializeError(error: unknown): SerializedError {
  const e = error as Partial<SerializedError> & { stack?: string };
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(error),
    code: typeof e?.code === 'string' ? e.code : undefined,
    hint: e?.hint,
    fileName: e?.fileName,
    retryable: e?.retryable,
  };
}
