// The parse stage of an ingest: a document or a dataset file is parsed in a thread of the parse pool, never on
// the worker's event loop (see src/domain/parse-pool), while the activity heartbeats. Parse errors are the input's
// fault and are not retried.
import { Context, heartbeat } from '@temporalio/activity';
import type { DatacreekConfig } from '../infra/config';
import type { ParsePool } from '../domain/parse-pool';
import type { PackedImport, ParsedJobDocument, ParseJob, ParseJobResult, ThreadChunkOptions } from '../domain/parse-pool';
import { asNonRetryable } from './errors';

/** While a file parses in its thread, the activity heartbeats this often, so Temporal knows it is alive. */
const PARSE_HEARTBEAT_MS = 2_000;

export async function parseDocumentFile(
  pool: ParsePool,
  config: DatacreekConfig,
  fileName: string,
  bytes: Uint8Array,
  extra: { encoding?: string; sourceUrl?: string },
  chunking: ThreadChunkOptions | undefined,
): Promise<ParsedJobDocument> {
  try {
    return await parseIsolated(pool, fileName, {
      kind: 'document',
      fileName,
      bytes,
      chunking,
      options: {
        maxBytes: config.ingest.max_file_bytes,
        maxUncompressedBytes: config.ingest.max_uncompressed_bytes,
        markdown: config.ingest.html_as_markdown,
        maxHtmlDepth: config.ingest.max_html_depth,
        maxHtmlElements: config.ingest.max_html_elements,
        maxPdfPages: config.ingest.max_pdf_pages,
        ...extra,
      },
    });
  } catch (err) {
    asNonRetryable(err, 'DocumentError');
  }
}

export async function parseDatasetFile(pool: ParsePool, config: DatacreekConfig, fileName: string, bytes: Uint8Array): Promise<PackedImport> {
  try {
    return await parseIsolated(pool, fileName, {
      kind: 'dataset',
      fileName,
      bytes,
      options: { maxFieldBytes: config.ingest.max_field_bytes, maxMessagesPerRow: config.ingest.max_messages_per_row },
    });
  } catch (err) {
    asNonRetryable(err, (err as { name?: string }).name === 'DocumentError' ? 'DocumentError' : 'DatasetFormatError');
  }
}

/** Runs a parse job in the pool, heartbeating meanwhile; a cancelled activity ends its parse thread. */
async function parseIsolated<J extends ParseJob>(pool: ParsePool, label: string, job: J): Promise<ParseJobResult<J>> {
  const beat = setInterval(() => heartbeat({ stage: 'parse', file: label }), PARSE_HEARTBEAT_MS);
  try {
    return await pool.run(job, { label, signal: Context.current().cancellationSignal });
  } finally {
    clearInterval(beat);
  }
}
