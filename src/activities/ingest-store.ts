// The store stage of an ingest: a document's chunks go to LanceDB (vectors) and PostgreSQL (source and chunk rows),
// a dataset's records to PostgreSQL as seed records. Vectors first (an idempotent upsert by chunk id), then the
// rows in one transaction: a crash between the two leaves no source row, so the retry redoes both instead of
// reporting "unchanged" with vectors missing.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { heartbeat } from '@temporalio/activity';
import type { ParsedDocument } from '../domain/parsers';
import { RECORDS_PER_BATCH, type PackedImport } from '../domain/parse-pool';
import type { ChunkRow } from './ingest-chunk';
import type { ActivityDeps } from './deps';
import { chunkTableName } from '../infra/vectors';

/** Chunks embedded per call; the event loop gets a turn between calls. */
const EMBED_BATCH_SIZE = 64;

/** Where a source came from, as its row records it. */
export interface SourceIdentity {
  datasetId: string;
  sourceId: string;
  contentHash: string;
  fileName: string;
  uri: string;
}

export async function storeDocument(deps: ActivityDeps, source: SourceIdentity & { kind: string }, doc: ParsedDocument, chunkRows: ChunkRow[]): Promise<void> {
  const { datasetId, sourceId, fileName } = source;
  heartbeat({ stage: 'embed', chunks: chunkRows.length });
  const vectors = await embedInBatches(
    deps,
    chunkRows.map((c) => c.text),
  );
  const store = await deps.vectors();
  await store.upsert(
    chunkTableName(datasetId),
    chunkRows.map((r, i) => ({ id: r.id, vector: vectors[i], text: r.text, source_id: sourceId, file_name: fileName })),
  );
  heartbeat({ stage: 'write', chunks: chunkRows.length });
  await deps.database.sql.begin(async (tx) => {
    await tx`insert into sources ${tx({
      id: sourceId,
      dataset_id: datasetId,
      kind: source.kind,
      uri: source.uri,
      file_name: fileName,
      format: doc.format,
      content_hash: source.contentHash,
      title: doc.title ?? null,
      chunk_count: chunkRows.length,
      seed_record_count: 0,
      metadata: tx.json({ ...(doc.metadata as Record<string, unknown>), segments: doc.segments.length } as never),
    })} on conflict (id) do nothing`;
    for (let i = 0; i < chunkRows.length; i += 1000) {
      await tx`insert into chunks ${tx(chunkRows.slice(i, i + 1000))} on conflict (id) do nothing`;
    }
  });
}

export async function storeSeedRecords(deps: ActivityDeps, source: SourceIdentity, imported: PackedImport): Promise<void> {
  heartbeat({ stage: 'write', records: imported.recordCount });
  await deps.database.sql.begin(async (tx) => {
    await tx`insert into sources ${tx({
      id: source.sourceId,
      dataset_id: source.datasetId,
      kind: 'dataset',
      uri: source.uri,
      file_name: source.fileName,
      format: imported.shape,
      content_hash: source.contentHash,
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
        select ${source.sourceId} || '#' || r.position, ${source.sourceId}, ${source.datasetId}, r.position, r.content, r.metadata
        from jsonb_to_recordset((${batch}::text)::jsonb) as r(position integer, content jsonb, metadata jsonb)
        on conflict (id) do nothing`;
    }
  });
}

/**
 * Embeds a batch at a time, giving the event loop a turn between batches: an in-process embedder computes on
 * this thread, and thousands of chunks at once would hold the loop (and the heartbeats) for seconds.
 */
async function embedInBatches(deps: ActivityDeps, texts: string[]): Promise<number[][]> {
  const vectors: number[][] = [];
  for (let i = 0; i < texts.length; i += EMBED_BATCH_SIZE) {
    vectors.push(...(await deps.embedder.embed(texts.slice(i, i + EMBED_BATCH_SIZE))));
    heartbeat({ stage: 'embed', chunks: texts.length, done: vectors.length });
    await yieldToEventLoop();
  }
  return vectors;
}
