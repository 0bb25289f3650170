// Embeddings from a local GGUF model through llama.cpp. Vectors are L2-normalized, as OpenAI's are, so
// callers may compare them by dot product. One embedding context evaluates one text at a time; batching
// happens in the caller's requests.
import type { LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';
import { LocalRequestError } from './errors';

export interface EmbeddingEngineOptions {
  /** Tokens per text. */
  contextSize: number;
  threads: number;
}

export class EmbeddingEngine {
  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaEmbeddingContext,
    readonly contextSize: number,
  ) {}

  static async create(model: LlamaModel, options: EmbeddingEngineOptions): Promise<EmbeddingEngine> {
    const contextSize = Math.min(options.contextSize, model.trainContextSize);
    const context = await model.createEmbeddingContext({ contextSize, threads: options.threads });
    return new EmbeddingEngine(model, context, contextSize);
  }

  get dimensions(): number {
    return this.model.embeddingVectorSize;
  }

  /**
   * One vector per text, in order, and the tokens read. A text longer than the context is refused (the HTTP
   * server's contract, as OpenAI's), or with `truncate` embedded from its first tokens, as sentence-transformers
   * does: a long chunk's opening still says what it is about.
   */
  async embed(texts: string[], signal: AbortSignal, options: { truncate?: boolean } = {}): Promise<{ vectors: number[][]; promptTokens: number }> {
    const vectors: number[][] = [];
    let promptTokens = 0;
    for (const [index, text] of texts.entries()) {
      if (signal.aborted) throw signal.reason;
      if (text === '') {
        // llama.cpp reads nothing from an empty text; OpenAI answers a vector all the same.
        vectors.push(new Array<number>(this.dimensions).fill(0));
        continue;
      }
      const length = this.context.calculateInputLength(text);
      if (length >= this.contextSize && options.truncate) {
        // Room for the begin and end tokens llama.cpp adds around the text.
        const tokens = this.model.tokenize(text, false, 'trimLeadingSpace').slice(0, this.contextSize - 4);
        promptTokens += tokens.length;
        vectors.push(normalize((await this.context.getEmbeddingFor(tokens)).vector));
        continue;
      }
      if (length >= this.contextSize) {
        throw new LocalRequestError(
          400,
          `input[${index}] is ${length} tokens; the local embedding model reads at most ${this.contextSize - 1} per text. Split the text into smaller chunks.`,
          'input',
        );
      }
      promptTokens += length;
      vectors.push(normalize((await this.context.getEmbeddingFor(text)).vector));
    }
    return { vectors, promptTokens };
  }

  async close(): Promise<void> {
    await this.context.dispose();
  }
}

function normalize(vector: readonly number[]): number[] {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  return norm > 0 ? vector.map((value) => value / norm) : [...vector];
}
