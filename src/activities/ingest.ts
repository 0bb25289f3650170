// Ingest activities: plan what to ingest (expand directories), then turn one file or URL into chunks
// (documents) or seed records (existing datasets). Writes are idempotent: a source's id is its content hash,
// vectors are upserted by chunk id before the source row commits, so a retry after any crash converges.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { heartbeat } from '@temporalio/activity';
import { chunkDocument, type ChunkOptions } from '../chunking';
import { importDataset } from '../formats';
import { DocumentError, fetchUrl, fetchYouTubeTranscript, isYouTubeUrl, listDocuments, parseDocument, type ParsedDocument } from '../parsers';
import type { IngestFileResult, IngestItem, ParsedIngestInput } from '../workflows/ingest-input';
import type { ActivityDeps } from './deps';
import { asNonRetryable, badInput } from './errors';
import { activityWriterLease } from './dataset-writer';
import { ensureDataset } from './datasets';
import { chunkTableName } from './tables';

/** Existing datasets are imported as seed records rather than chunked as documents. */
const DATASET_EXTENSIONS = new Set(['.json', '.jsonl', '.ndjson', '.csv', '.parquet']);

export interface PlannedFile {
  /** What the person named: a path relative to the ingested directory, a file path or a URL. */
  label: string;
  path?: string;
  url?: string;
  kind: 'document' | 'dataset';
}

export interface IngestPlan {
  files: PlannedFile[];
  skipped: { item: string; reason: string }[];
}

export function createIngestActivities(deps: ActivityDeps) {
  const { config, database } = deps;
  const writer = activityWriterLease(database.sql);

  async function prepareIngest(input: {
    datasetId: string;
    ownerId: string;
    items: IngestItem[];
    include?: string[];
    exclude?: string[];
  }): Promise<IngestPlan> {
    await ensureDataset(database, { datasetId: input.datasetId, ownerId: input.ownerId });
    // An ingest adds the sources a build generates from: it holds the dataset's writer lease until finishIngest.
    await writer.claim(input.datasetId, 'ingest');
    try {
      return await planIngest(input);
    } catch (err) {
      // The workflow ends (or retries this activity, which claims again) without reaching finishIngest.
      await writer.release(input.datasetId);
      throw err;
    }
  }

  async function planIngest(input: { items: IngestItem[]; include?: string[]; exclude?: string[] }): Promise<IngestPlan> {
    const files: PlannedFile[] = [];
    const skipped: IngestPlan['skipped'] = [];
    for (const item of input.items) {
      if ('url' in item) {
        files.push({ label: item.url, url: item.url, kind: 'document' });
        continue;
      }
      const abs = path.resolve(item.path);
      const info = await stat(abs).catch(() => null);
      if (!info) {
        // Planned anyway so it shows up as a failed file with its own reason, next to the others.
        files.push({ label: item.path, path: abs, kind: 'document' });
        continue;
      }
      if (info.isFile()) {
        files.push({ label: item.path, path: abs, kind: kindOf(abs) });
        continue;
      }
      const listed = await listDocuments(abs, {
        include: input.include ?? (config.ingest.include.length ? config.ingest.include : undefined),
        exclude: input.exclude ?? config.ingest.exclude,
        maxFileBytes: config.ingest.max_file_bytes,
      });
      for (const f of listed) {
        const rel = path.join(item.path, f.relativePath);
        // Only unsupported formats are skipped; an empty or oversized document is attempted so that it fails
        // with its own error, next to the others.
        if (f.skipped?.code !== 'unsupported_format' || DATASET_EXTENSIONS.has(path.extname(f.path).toLowerCase())) {
          files.push({ label: rel, path: f.path, kind: kindOf(f.path) });
        } else {
          skipped.push({ item: rel, reason: f.skipped.reason });
        }
      }
    }
    return { files, skipped };
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
    const uri = file.url ?? file.path ?? fileName;

    if (file.kind === 'dataset' && !parsed) {
      return importSeedRecords({ datasetId, sourceId, contentHash, fileName, bytes, uri });
    }

    const doc = parsed ?? (await parseOrFail(fileName, bytes, { encoding, sourceUrl }));
    heartbeat({ stage: 'chunk' });
    const chunks = await chunkDocument(doc, chunkOptions(input.chunking));
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
    const vectors = await deps.embedder.embed(chunks.map((c) => c.text));
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
    let imported;
    try {
      imported = await importDataset({ fileName: args.fileName, bytes: args.bytes });
    } catch (err) {
      asNonRetryable(err, 'DatasetFormatError');
    }
    if (imported.records.length === 0) {
      const why = imported.problems[0]?.message ?? imported.skipped[0]?.message ?? 'no records found';
      throw badInput('DatasetFormatError:empty', `${args.fileName}: no usable records (${why})`, 'Check the file shape, or give a field mapping.');
    }
    const rows = imported.records.map((r) => ({
      id: `${args.sourceId}#${r.position}`,
      source_id: args.sourceId,
      dataset_id: args.datasetId,
      position: r.position,
      content: r.content,
      metadata: r.metadata,
    }));
    heartbeat({ stage: 'write', records: rows.length });
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
        seed_record_count: rows.length,
        metadata: tx.json({
          skipped: imported.skipped.length,
          problems: imported.problems.slice(0, 100),
          problemCount: imported.problems.length,
        } as never),
      })} on conflict (id) do nothing`;
      for (let i = 0; i < rows.length; i += 1000) {
        const slice = rows.slice(i, i + 1000).map((r) => ({ ...r, content: tx.json(r.content as never), metadata: tx.json(r.metadata as never) }));
        await tx`insert into seed_records ${tx(slice)} on conflict (id) do nothing`;
      }
    });
    return { status: 'ingested', sourceId: args.sourceId, format: imported.shape, chunks: 0, seedRecords: rows.length };
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
    const filePath = file.path!;
    const fileName = path.basename(filePath);
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

  async function parseOrFail(fileName: string, bytes: Uint8Array, extra: { encoding?: string; sourceUrl?: string }): Promise<ParsedDocument> {
    try {
      return await parseDocument(
        { fileName, bytes },
        {
          maxBytes: config.ingest.max_file_bytes,
          maxUncompressedBytes: config.ingest.max_uncompressed_bytes,
          markdown: config.ingest.html_as_markdown,
          ...extra,
        },
      );
    } catch (err) {
      asNonRetryable(err, 'DocumentError');
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

  /** Gives the dataset's writer lease back, whether the ingest succeeded, failed or was cancelled. */
  async function finishIngest(input: { datasetId: string }): Promise<void> {
    await writer.release(input.datasetId);
  }

  return { prepareIngest, ingestDocument, finishIngest };
}

function kindOf(file: string): PlannedFile['kind'] {
  return DATASET_EXTENSIONS.has(path.extname(file).toLowerCase()) ? 'dataset' : 'document';
}

export type IngestActivities = ReturnType<typeof createIngestActivities>;
