// Ingest activities: plan what to ingest (expand directories), then turn one file or URL into chunks
// (documents) or seed records (existing datasets). Writes are idempotent: a source's id is its content hash,
// vectors are upserted by chunk id before the source row commits, so a retry after any crash converges.
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Context, heartbeat } from '@temporalio/activity';
import { chunkDocument, type ChunkOptions } from '../domain/chunking';
import { readObject } from '../infra/storage';
import { ParsePool } from '../infra/parse-pool/pool';
import { RECORDS_PER_BATCH, type PackedImport, type ParsedJobDocument, type ParseJob, type ParseJobResult, type ThreadChunkOptions } from '../infra/parse-pool/jobs';
import { DocumentError, fetchUrl, fetchYouTubeTranscript, isYouTubeUrl, type ParsedDocument } from '../domain/parsers';
import { isInside, LINK_OUTSIDE_ROOTS_REASON } from '../domain/parsers/list-documents';
import type { IngestFileResult, IngestItem, ParsedIngestInput } from '../workflows/ingest-input';
import type { ActivityDeps } from './deps';
import { asNonRetryable, badInput } from './errors';
import { activityWriterLease } from './dataset-writer';
import { ensureDataset } from './datasets';
import { planIngest, type IngestPlan, type PlannedFile } from './ingest-plan';
import { chunkTableName } from './tables';

export type { IngestPlan, PlannedFile } from './ingest-plan';

/** Chunks embedded per call; the event loop gets a turn between calls. */
const EMBED_BATCH_SIZE = 64;

/** While a file parses in its thread, the activity heartbeats this often, so Temporal knows it is alive. */
const PARSE_HEARTBEAT_MS = 2_000;

export function createIngestActivities(deps: ActivityDeps) {
  const { config, database } = deps;
  const writer = activityWriterLease(database.sql);
  // Parsing happens in these threads, never on the worker's event loop (see src/infra/parse-pool).
  const parsePool = new ParsePool({
    threads: config.ingest.parse_threads,
    timeoutMs: config.ingest.parse_timeout_ms,
    memoryMb: config.ingest.parse_memory_mb,
  });

  async function prepareIngest(input: {
    datasetId: string;
    ownerId: string;
    items: IngestItem[];
    include?: string[];
    exclude?: string[];
    /** Set for API requests: every file found must resolve inside these real folders. */
    allowedRoots?: string[];
  }): Promise<IngestPlan> {
    await ensureDataset(database, { datasetId: input.datasetId, ownerId: input.ownerId });
    // An ingest adds the sources a build generates from: it holds the dataset's writer lease until finishIngest.
    await writer.claim(input.datasetId, 'ingest');
    try {
      const { files, skipped } = await planIngest(input.items, {
        include: input.include ?? (config.ingest.include.length ? config.ingest.include : undefined),
        exclude: input.exclude ?? config.ingest.exclude,
        maxFileBytes: config.ingest.max_file_bytes,
        allowedRoots: input.allowedRoots,
      });
      return { files, skipped };
    } catch (err) {
      // The workflow ends (or retries this activity, which claims again) without reaching finishIngest.
      await writer.release(input.datasetId);
      throw err;
    }
  }

  /** Gives the dataset's writer lease back, whether the ingest succeeded, failed or was cancelled. */
  async function finishIngest(input: { datasetId: string }): Promise<void> {
    await writer.release(input.datasetId);
  }

  async function ingestDocument(input: {
    datasetId: string;
    file: PlannedFile;
    chunking?: ParsedIngestInput['chunking'];
    taskId?: string;
  }): Promise<Omit<IngestFileResult, 'item'>> {
    const { datasetId, file } = input;
    heartbeat({ stage: 'read' });
    const { fileName, bytes, parsed, encoding, sourceUrl } = await readSource(file);
    const contentHash = createHash('sha256').update(parsed ? parsed.text : bytes).digest('hex');
    const sourceId = `${datasetId}:${contentHash.slice(0, 40)}`;

    const [existing] = await database.sql<{ chunk_count: number; seed_record_count: number; format: string }[]>`
      select chunk_count, seed_record_count, format from sources where id = ${sourceId}`;
    if (existing) {
      return {
        status: 'unchanged',
        sourceId,
        format: existing.format,
        chunks: existing.chunk_count,
        seedRecords: existing.seed_record_count,
      };
    }
    const kind = file.url ? (isYouTubeUrl(file.url) ? 'youtube' : 'url') : file.kind === 'dataset' ? 'dataset' : 'file';
    const uri = file.url ?? file.path ?? (file.upload ? deps.objectStore().locate(file.upload) : fileName);

    if (file.kind === 'dataset' && !parsed) {
      return importSeedRecords({ datasetId, sourceId, contentHash, fileName, bytes, uri });
    }

    const options = chunkOptions(input.chunking);
    const fromThread = parsed ? undefined : await parseOrFail(fileName, bytes, { encoding, sourceUrl }, threadChunking(options));
    const doc = parsed ?? fromThread!.document;
    heartbeat({ stage: 'chunk' });
    const chunks = fromThread?.chunks ?? (await chunkDocument(doc, options));
    if (chunks.length === 0) {
      throw badInput('DocumentError:empty_document', `${fileName}: no text to ingest after cleaning`, 'Check that the file has readable text.');
    }
    const chunkRows = chunks.map((c) => ({
      id: `${sourceId}#${c.index}`,
      source_id: sourceId,
      dataset_id: datasetId,
      index: c.index,
      text: c.text,
      start_offset: c.start,
      end_offset: c.end,
      pages: c.pages ?? c.slides ?? null,
      content_hash: c.contentHash,
      token_count: c.tokenCount ?? null,
    }));

    // Vectors first (idempotent upsert by chunk id), then the rows in one transaction: a crash between the two
    // leaves no source row, so the retry redoes both instead of reporting "unchanged" with vectors missing.
    heartbeat({ stage: 'embed', chunks: chunks.length });
    const vectors = await embedInBatches(chunks.map((c) => c.text));
    const store = await deps.vectors();
    await store.upsert(
      chunkTableName(datasetId),
      chunkRows.map((r, i) => ({ id: r.id, vector: vectors[i], text: r.text, source_id: sourceId, file_name: fileName })),
    );
    heartbeat({ stage: 'write', chunks: chunks.length });
    await database.sql.begin(async (tx) => {
      await tx`insert into sources ${tx({
        id: sourceId,
        dataset_id: datasetId,
        kind,
        uri,
        file_name: fileName,
        format: doc.format,
        content_hash: contentHash,
        title: doc.title ?? null,
        chunk_count: chunks.length,
        seed_record_count: 0,
        metadata: tx.json({ ...(doc.metadata as Record<string, unknown>), segments: doc.segments.length } as never),
      })} on conflict (id) do nothing`;
      for (let i = 0; i < chunkRows.length; i += 1000) {
        await tx`insert into chunks ${tx(chunkRows.slice(i, i + 1000))} on conflict (id) do nothing`;
      }
    });
    return { status: 'ingested', sourceId, format: doc.format, chunks: chunks.length, seedRecords: 0 };
  }

  async function importSeedRecords(args: {
    datasetId: string;
    sourceId: string;
    contentHash: string;
    fileName: string;
    bytes: Uint8Array;
    uri: string;
  }): Promise<Omit<IngestFileResult, 'item'>> {
    let imported: PackedImport;
    try {
      imported = await parseIsolated(args.fileName, {
        kind: 'dataset',
        fileName: args.fileName,
        bytes: args.bytes,
        options: { maxFieldBytes: config.ingest.max_field_bytes, maxMessagesPerRow: config.ingest.max_messages_per_row },
      });
    } catch (err) {
      asNonRetryable(err, (err as { name?: string }).name === 'DocumentError' ? 'DocumentError' : 'DatasetFormatError');
    }
    if (imported.recordCount === 0) {
      const why = imported.problems[0]?.message ?? imported.firstSkipped?.message ?? 'no records found';
      throw badInput('DatasetFormatError:empty', `${args.fileName}: no usable records (${why})`, 'Check the file shape, or give a field mapping.');
    }
    heartbeat({ stage: 'write', records: imported.recordCount });
    await database.sql.begin(async (tx) => {
      await tx`insert into sources ${tx({
        id: args.sourceId,
        dataset_id: args.datasetId,
        kind: 'dataset',
        uri: args.uri,
        file_name: args.fileName,
        format: imported.shape,
        content_hash: args.contentHash,
        title: null,
        chunk_count: 0,
        seed_record_count: imported.recordCount,
        metadata: tx.json({ skipped: imported.skippedCount, problems: imported.problems, problemCount: imported.problemCount } as never),
      })} on conflict (id) do nothing`;
      // Each batch is JSON text from the parse thread, sent as text and expanded into rows by PostgreSQL itself.
      for (const [i, batch] of imported.batches.entries()) {
        heartbeat({ stage: 'write', records: i * RECORDS_PER_BATCH });
        await tx`
          insert into seed_records (id, source_id, dataset_id, position, content, metadata)
          select ${args.sourceId} || '#' || r.position, ${args.sourceId}, ${args.datasetId}, r.position, r.content, r.metadata
          from jsonb_to_recordset((${batch}::text)::jsonb) as r(position integer, content jsonb, metadata jsonb)
          on conflict (id) do nothing`;
      }
    });
    return { status: 'ingested', sourceId: args.sourceId, format: imported.shape, chunks: 0, seedRecords: imported.recordCount };
  }

  async function readSource(
    file: PlannedFile,
  ): Promise<{ fileName: string; bytes: Uint8Array; parsed?: ParsedDocument; encoding?: string; sourceUrl?: string }> {
    if (file.url) {
      try {
        if (isYouTubeUrl(file.url)) {
          const parsed = await fetchYouTubeTranscript(file.url, { allowPrivateNetworks: config.ingest.allow_private_networks });
          return { fileName: parsed.fileName, bytes: new TextEncoder().encode(parsed.text), parsed };
        }
        const fetched = await fetchUrl(file.url, {
          maxBytes: config.ingest.max_file_bytes,
          allowPrivateNetworks: config.ingest.allow_private_networks,
        });
        return { fileName: fetched.fileName, bytes: fetched.bytes, encoding: fetched.charset, sourceUrl: fetched.finalUrl };
      } catch (err) {
        // A refused address or a 404 will not change on retry; a network blip or a 5xx might.
        if (err instanceof DocumentError && !err.retryable) asNonRetryable(err, 'DocumentError');
        throw err;
      }
    }
    if (file.upload) return readUpload(file.upload, file.label);
    const filePath = await confinedPath(file);
    const fileName = path.basename(file.path!);
    const info = await stat(filePath).catch(() => null);
    if (!info) throw badInput('NotFound', `${file.label}: no such file or directory`, 'Check the path; it is read on the worker machine.');
    if (info.size > config.ingest.max_file_bytes) {
      throw badInput(
        'DocumentError:too_large',
        `${file.label}: ${info.size} bytes is over the limit of ${config.ingest.max_file_bytes}`,
        'Split the file, or raise ingest.max_file_bytes.',
      );
    }
    return { fileName, bytes: new Uint8Array(await readFile(filePath)) };
  }

  /** An uploaded file, from the object store: whichever machine received the upload, every worker reads it. */
  async function readUpload(key: string, label: string): Promise<{ fileName: string; bytes: Uint8Array }> {
    const store = deps.objectStore();
    const info = await store.head(key);
    if (!info) throw badInput('NotFound', `${label}: the upload "${key}" is not in the object store ${store.url}`, 'Upload the file again; every worker and API node must use the same storage.url.');
    if (info.size > config.ingest.max_file_bytes) {
      throw badInput('DocumentError:too_large', `${label}: ${info.size} bytes is over the limit of ${config.ingest.max_file_bytes}`, 'Split the file, or raise ingest.max_file_bytes.');
    }
    return { fileName: label, bytes: new Uint8Array(await readObject(store, key)) };
  }

  /**
   * Embeds a batch at a time, giving the event loop a turn between batches: an in-process embedder computes on
   * this thread, and thousands of chunks at once would hold the loop (and the heartbeats) for seconds.
   */
  async function embedInBatches(texts: string[]): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let i = 0; i < texts.length; i += EMBED_BATCH_SIZE) {
      vectors.push(...(await deps.embedder.embed(texts.slice(i, i + EMBED_BATCH_SIZE))));
      heartbeat({ stage: 'embed', chunks: texts.length, done: vectors.length });
      await yieldToEventLoop();
    }
    return vectors;
  }

  /**
   * The path to read. For an API request the file is resolved again here, just before reading, so a file swapped
   * for a link after planning cannot lead outside the allowed roots either.
   */
  async function confinedPath(file: PlannedFile): Promise<string> {
    if (!file.allowedRoots) return file.path!;
    const real = await realpath(file.path!).catch(() => null);
    if (!real) throw badInput('NotFound', `${file.label}: no such file or directory`, 'Check the path; it is read on the worker machine.');
    if (!file.allowedRoots.some((root) => isInside(real, root))) {
      throw badInput('Forbidden:link_outside_roots', `${file.label}: ${LINK_OUTSIDE_ROOTS_REASON}`, 'Copy the file into an allowed root, or upload it instead.');
    }
    return real;
  }

  async function parseOrFail(
    fileName: string,
    bytes: Uint8Array,
    extra: { encoding?: string; sourceUrl?: string },
    chunking: ThreadChunkOptions | undefined,
  ): Promise<ParsedJobDocument> {
    try {
      return await parseIsolated(fileName, {
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

  /** Runs a parse job in the pool, heartbeating meanwhile; a cancelled activity ends its parse thread. */
  async function parseIsolated<J extends ParseJob>(label: string, job: J): Promise<ParseJobResult<J>> {
    const beat = setInterval(() => heartbeat({ stage: 'parse', file: label }), PARSE_HEARTBEAT_MS);
    try {
      return await parsePool.run(job, { label, signal: Context.current().cancellationSignal });
    } finally {
      clearInterval(beat);
    }
  }

  function chunkOptions(override: ParsedIngestInput['chunking']): ChunkOptions {
    const c = { ...config.chunking, ...(override ?? {}) };
    return {
      strategy: c.strategy,
      chunkSize: c.chunk_size,
      overlap: c.overlap,
      wholeDocumentBelow: c.whole_document_below,
      similarityDrop: c.similarity_drop,
      embed: (texts: string[]) => deps.embedder.embed(texts),
    };
  }

  return { prepareIngest, ingestDocument, finishIngest };
}

/** The chunking the parse thread can do itself: all but semantic, which needs the embedder of this process. */
function threadChunking(options: ChunkOptions): ThreadChunkOptions | undefined {
  if (options.strategy === 'semantic') return undefined;
  const { embed: _embed, embedBatchSize: _batch, ...rest } = options;
  return { ...rest, strategy: options.strategy };
}

export type IngestActivities = ReturnType<typeof createIngestActivities>;
