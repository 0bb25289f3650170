// What every generator and judge returns: what it made, what it could not use (with the LLM's raw
// text and the reason, so a rejected candidate can be stored and counted), and the tokens it spent.
import type { TokenCount } from '../llm/types';

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
  /** Activity cancellation. */
  signal?: AbortSignal;
}
