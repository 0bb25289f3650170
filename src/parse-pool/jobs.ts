// The work a parse thread does: turn one file's bytes into a parsed document or imported dataset rows. Defined
// apart from the pool so the thread loads only the parsers, never Temporal, the database or the API.
import { importDataset } from '../formats';
import type { ImportOptions, ImportResult } from '../formats/types';
import { parseDocument, type ParsedDocument, type ParseOptions } from '../parsers';

export type ParseJob =
  | { kind: 'document'; fileName: string; bytes: Uint8Array; options: ParseOptions }
  | { kind: 'dataset'; fileName: string; bytes: Uint8Array; options: ImportOptions };

export type ParseJobResult<J extends ParseJob> = J extends { kind: 'document' } ? ParsedDocument : ImportResult;

export async function runParseJob(job: ParseJob): Promise<ParsedDocument | ImportResult> {
  if (job.kind === 'document') return parseDocument({ fileName: job.fileName, bytes: job.bytes }, job.options);
  return importDataset({ fileName: job.fileName, bytes: job.bytes }, job.options);
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
