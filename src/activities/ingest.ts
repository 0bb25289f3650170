// Ingest activities: plan what to ingest (expand directories), then turn one file or URL into chunks
// (documents) or seed records (existing datasets). Each stage lives in its own file (ingest-plan, ingest-read,
// ingest-parse, ingest-chunk, ingest-store); this one holds the activities that run them in order.
// Writes are idempotent: a source's id is its content hash, vectors are upserted by chunk id before the source
// row commits, so a retry after any crash converges.
import { createHash } from 'node:crypto';
import { heartbeat } from '@temporalio/activity';
import { chunkDocument } from '../domain/chunking';
import { ParsePool } from '../domain/parse-pool';
import { isYouTubeUrl } from '../domain/parsers';
import type { IngestFileResult, IngestItem, ParsedIngestInput } from '../workflows/ingest-input';
import type { ActivityDeps } from './deps';
import { badInput } from './errors';
import { activityWriterLease } from './dataset-writer';
import { ensureDataset } from './datasets';
import { chunkOptions, chunkRows, threadChunking } from './ingest-chunk';
import { parseDatasetFile, parseDocumentFile } from './ingest-parse';
import { planIngest, type IngestPlan, type PlannedFile } from './ingest-plan';
import { readSource } from './ingest-read';
import { storeDocument, storeSeedRecords, type SourceIdentity } from './ingest-store';

export type { IngestPlan, PlannedFile } from './ingest-plan';

export function createIngestActivities(deps: ActivityDeps) {
  const { config, database } = deps;
  const writer = activityWriterLease(database.sql);
  // Parsing happens in these threads, never on the worker's event loop (see src/domain/parse-pool).
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
    const { fileName, bytes, parsed, encoding, sourceUrl } = await readSource(config, file, deps.objectStore);
    const contentHash = createHash('sha256')
      .update(parsed ? parsed.text : bytes)
      .digest('hex');
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
    const source: SourceIdentity = {
      datasetId,
      sourceId,
      contentHash,
      fileName,
      uri: file.url ?? file.path ?? (file.upload ? deps.objectStore().locate(file.upload) : fileName),
    };

    if (file.kind === 'dataset' && !parsed) {
      return importSeedRecords(source, bytes);
    }

    const options = chunkOptions(config, deps.embedder, input.chunking);
    const fromThread = parsed ? undefined : await parseDocumentFile(parsePool, config, fileName, bytes, { encoding, sourceUrl }, threadChunking(options));
    const doc = parsed ?? fromThread!.document;
    heartbeat({ stage: 'chunk' });
    const chunks = fromThread?.chunks ?? (await chunkDocument(doc, options));
    if (chunks.length === 0) {
      throw badInput('DocumentError:empty_document', `${fileName}: no text to ingest after cleaning`, 'Check that the file has readable text.');
    }
    await storeDocument(deps, { ...source, kind }, doc, chunkRows(datasetId, sourceId, chunks));
    return { status: 'ingested', sourceId, format: doc.format, chunks: chunks.length, seedRecords: 0 };
  }

  async function importSeedRecords(source: SourceIdentity, bytes: Uint8Array): Promise<Omit<IngestFileResult, 'item'>> {
    const imported = await parseDatasetFile(parsePool, config, source.fileName, bytes);
    if (imported.recordCount === 0) {
      const why = imported.problems[0]?.message ?? imported.firstSkipped?.message ?? 'no records found';
      throw badInput('DatasetFormatError:empty', `${source.fileName}: no usable records (${why})`, 'Check the file shape, or give a field mapping.');
    }
    await storeSeedRecords(deps, source, imported);
    return { status: 'ingested', sourceId: source.sourceId, format: imported.shape, chunks: 0, seedRecords: imported.recordCount };
  }

  return { prepareIngest, ingestDocument, finishIngest };
}

export type IngestActivities = ReturnType<typeof createIngestActivities>;
