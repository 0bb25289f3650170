// What turns texts into vectors. Every embedder (the lexical fallback, the bundled local model, a model behind an
// OpenAI-compatible endpoint) implements this one interface, so ingest, dedup and search accept any of them.

export interface Embedder {
  /** `lexical` embeddings are feature-hashed n-grams: useful for near-duplicates, not for meaning. */
  readonly kind: 'openai' | 'lexical' | 'local';
  /** The length of every vector `embed` returns. */
  readonly dimensions: number;
  /** One plain sentence saying what the vectors capture, shown wherever the choice of embedder is reported. */
  describe(): string;
  /** One vector per text, in the order given. */
  embed(texts: string[]): Promise<number[][]>;
}

/**
 * The cosine at or above which two records count as semantic duplicates, when `dedup.semantic.threshold` is not set:
 * it depends on the embedder, because their scales differ. A sentence-embedding model (all-MiniLM-L6-v2 measured:
 * paraphrased QA records 0.87–0.96, different questions on one subject at most 0.71) takes 0.85; the lexical
 * embedder's n-gram vectors score records that merely share a template and a topic around 0.85–0.9, so it takes 0.9.
 */
export function defaultSemanticThreshold(kind: Embedder['kind']): number {
  return kind === 'lexical' ? 0.9 : 0.85;
}
