// The chunk stage of an ingest: the chunking a document gets (the config's, with the request's overrides) and the
// share of it the parse thread can do itself, and the chunk rows the store stage writes.
import type { Chunk, ChunkOptions } from '../domain/chunking';
import type { DatacreekConfig } from '../infra/config';
import type { ThreadChunkOptions } from '../domain/parse-pool';
import type { Embedder } from '../infra/vectors';
import type { ParsedIngestInput } from '../workflows/ingest-input';

export function chunkOptions(config: DatacreekConfig, embedder: Embedder, override: ParsedIngestInput['chunking']): ChunkOptions {
  const c = { ...config.chunking, ...(override ?? {}) };
  return {
    strategy: c.strategy,
    chunkSize: c.chunk_size,
    overlap: c.overlap,
    wholeDocumentBelow: c.whole_document_below,
    similarityDrop: c.similarity_drop,
    embed: (texts: string[]) => embedder.embed(texts),
  };
}

/** The chunking the parse thread can do itself: all but semantic, which needs the embedder of this process. */
export function threadChunking(options: ChunkOptions): ThreadChunkOptions | undefined {
  if (options.strategy === 'semantic') return undefined;
  const { embed: _embed, embedBatchSize: _batch, ...rest } = options;
  return { ...rest, strategy: options.strategy };
}

/** A source's chunks as rows of the chunks table; a chunk's id is its source's id and its index. */
export function chunkRows(datasetId: string, sourceId: string, chunks: Chunk[]) {
  return chunks.map((c) => ({
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
}

export type ChunkRow = ReturnType<typeof chunkRows>[number];
