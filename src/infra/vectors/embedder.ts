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
