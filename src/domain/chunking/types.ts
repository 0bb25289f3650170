// What chunking produces and how it is configured.

export interface Chunk {
  /** Position of the chunk in its document, from 0. */
  index: number;
  text: string;
  /** Character offsets into the document text: `doc.text.slice(start, end) === text`. */
  start: number;
  end: number;
  /** Pages (PDF) the chunk's text came from. */
  pages?: number[];
  /** Slides (PPTX) the chunk's text came from. */
  slides?: number[];
  /** Transcript time of the first and last caption in the chunk (YouTube). */
  startTimeSec?: number;
  endTimeSec?: number;
  /** sha256 of `text`, hex: a stable identity for dedup and idempotent writes. */
  contentHash: string;
  /** o200k token count of `text` (set by the token strategy). */
  tokenCount?: number;
}

export type ChunkStrategy = 'basic' | 'sliding' | 'semantic' | 'token';

export interface ChunkOptions {
  /**
   * basic: fixed-size pieces without overlap; sliding: fixed-size windows with `overlap`;
   * semantic: split where the topic changes (needs `embed`); token: like sliding, measured in tokens.
   */
  strategy: ChunkStrategy;
  /** Maximum chunk size: characters, or tokens for the token strategy. */
  chunkSize: number;
  /**
   * Characters (tokens for the token strategy) repeated from the end of one chunk at the start of
   * the next. Ignored by basic and semantic, whose chunks never overlap.
   */
  overlap: number;
  /** Documents shorter than this many characters stay whole, as a single chunk. */
  wholeDocumentBelow: number;
  /** semantic: start a new chunk where consecutive sentences are this much less similar than usual. */
  similarityDrop?: number;
  /** semantic: embeds texts, one vector per text, in order. */
  embed?: (texts: string[]) => Promise<number[][]>;
  /** semantic: texts per embed call (default 64). */
  embedBatchSize?: number;
}

export const DEFAULT_SIMILARITY_DROP = 0.2;

/** The defaults Synthetic Data Kit users know: 4000-character windows, 200 overlap, small documents whole. */
export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = {
  strategy: 'sliding',
  chunkSize: 4000,
  overlap: 200,
  wholeDocumentBelow: 8000,
  similarityDrop: DEFAULT_SIMILARITY_DROP,
};

export interface Span {
  start: number;
  end: number;
  /** Size in the unit the span was measured in (characters or tokens), when known. */
  units?: number;
}
