// What every generator and judge returns: what it made, what it could not use (with the LLM's raw
// text and the reason, so a rejected candidate can be stored and counted), and the tokens it spent.
import type { TokenCount } from '../../infra/llm';

export interface GenerationFailure {
  /** The LLM's text (a whole answer, or one item of it as JSON) that could not be used. */
  raw: string;
  reason: string;
}

export interface GenerationResult<T> {
  items: T[];
  failures: GenerationFailure[];
  /** Tokens of this call only (the client's `usage()` sums every call of the process). */
  usage: TokenCount;
}

/** Per-record failure of a judge or scorer: which record, what came back, why it is unusable. */
export interface RecordFailure extends GenerationFailure {
  id: string;
}

/** Options every generator passes through to the LLM call. */
export interface LlmCallOptions {
  temperature?: number;
  maxTokens?: number;
  /**
   * Makes a repeated generation from the same input differ, e.g. a later round over the same chunk
   * (`${batchId}/${ordinal}`): it becomes the request's sampling seed. Real models also need a
   * temperature above 0 for the seed to change anything.
   */
  variation?: string | number;
  /** Activity cancellation. */
  signal?: AbortSignal;
}

/** A stable 31-bit sampling seed from a variation key (FNV-1a), or undefined without one. */
export function variationSeed(variation: string | number | undefined): number | undefined {
  if (variation === undefined) return undefined;
  let hash = 0x811c9dc5;
  for (const char of String(variation)) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash & 0x7fffffff;
}
