// Shapes shared by the LLM layer: endpoint configuration, messages, usage and call results.
import type { z } from 'zod';

export type StructuredOutputMode = 'json_schema' | 'json_object' | 'prompt';
export const STRUCTURED_OUTPUT_MODES: readonly StructuredOutputMode[] = ['json_schema', 'json_object', 'prompt'];

/** One OpenAI-compatible endpoint and model, as the config layer resolves it. */
export interface LlmEndpointConfig {
  /** Base URL ending in `/v1` (vLLM, OpenAI, NIM, llama.cpp server, Ollama …). */
  baseURL: string;
  /** Bearer token; local servers usually ignore it. */
  apiKey?: string;
  model: string;
  /** Per attempt, not per call: a call with retries may take up to (maxRetries + 1) × timeoutMs plus backoff. */
  timeoutMs: number;
  /** Retries after the first attempt on 429, 5xx, 408, 409, timeouts and connection errors. */
  maxRetries: number;
  /** First backoff step (default 250 ms); it doubles per attempt, with jitter, up to 20 s. */
  retryBaseDelayMs?: number;
  /** Upper bound of the adaptive per-endpoint concurrency limit shared by the whole process. */
  maxConcurrency: number;
  structuredOutput: StructuredOutputMode;
  temperature?: number;
  maxTokens?: number;
}

export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface TokenCount {
  promptTokens: number;
  completionTokens: number;
  calls: number;
}

/** Tokens spent, in total and per call site (a free label such as `generate.qa` or `judge`). */
export interface TokenUsage extends TokenCount {
  byCallSite: Record<string, TokenCount>;
}

export interface TokenLogprob {
  token: string;
  logprob: number;
}

export interface ChatOptions {
  messages: LlmMessage[];
  /** Label under which this call's tokens are summed in `usage().byCallSite`. */
  callSite?: string;
  temperature?: number;
  maxTokens?: number;
  /** Overrides the endpoint's model for this call (e.g. a reward model served by the same endpoint). */
  model?: string;
  /** Sampling seed (OpenAI, vLLM, llama.cpp): the same seed repeats a sample, another varies it. */
  seed?: number;
  /** Ask for per-token logprobs (reward models put their attribute scores there). */
  logprobs?: boolean;
  /** Passed through as `response_format`; chatJson sets it, plain callers rarely need it. */
  responseFormat?: Record<string, unknown>;
  /** Choices to sample from one prompt (`n`); all of them come back in `ChatResult.choices`. */
  n?: number;
  /** Extra request-body fields for server-specific options (vLLM's guided decoding, top_k …). */
  extraBody?: Record<string, unknown>;
  /** Activity cancellation: aborts the in-flight attempt and any backoff wait, and is never retried. */
  signal?: AbortSignal;
}

export interface ChatResult {
  /** The first choice's text. */
  content: string;
  /** Every choice's text, in order (one unless `n` > 1 was asked for). */
  choices: string[];
  finishReason: string | null;
  usage: TokenCount;
  logprobs: TokenLogprob[] | null;
  /** Attempts made, 1 when the first one succeeded. */
  attempts: number;
}

/** A legacy `/v1/completions` request: a raw prompt string, already in the model's own chat format. */
export interface CompletionOptions {
  prompt: string;
  callSite?: string;
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** Completions to sample from the prompt. */
  n?: number;
  seed?: number;
  extraBody?: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface CompletionResult {
  /** One text per choice, in order. */
  texts: string[];
  finishReasons: (string | null)[];
  usage: TokenCount;
  attempts: number;
}

export interface ChatJsonOptions<T> extends Omit<ChatOptions, 'responseFormat' | 'n' | 'extraBody'> {
  /** Validates the parsed output; what fails it is repaired, re-asked once, then reported. */
  schema: z.ZodType<T>;
  /** Name sent as `json_schema.name` and quoted in prompt-mode instructions (letters, digits, _ and -). */
  schemaName: string;
  /** JSON Schema to send instead of the one derived from `schema` (e.g. stricter than what is accepted). */
  jsonSchema?: Record<string, unknown>;
  /** Overrides the endpoint's configured mode for this call. */
  mode?: StructuredOutputMode;
  /** `json_schema.strict`; keep true unless the schema has optional properties. */
  strict?: boolean;
}

export type JsonResult<T> =
  | {
      ok: true;
      value: T;
      raw: string;
      usage: TokenCount;
      /** The raw text needed jsonrepair before it parsed. */
      repaired: boolean;
      /** The first answer was unusable and the re-ask produced this one. */
      reasked: boolean;
      /** The mode that was actually used (after a json_schema → prompt fallback). */
      mode: StructuredOutputMode;
      /** `length` when the answer was cut off at the token limit (repair may have dropped its tail). */
      finishReason: string | null;
    }
  | {
      ok: false;
      /** Why the output was unusable: the parse or validation error of the last answer. */
      reason: string;
      /** The last answer, verbatim, so it can be stored as a rejected candidate. */
      raw: string;
      usage: TokenCount;
      reasked: boolean;
      mode: StructuredOutputMode;
    };

export type EmbeddingEncoding = 'float' | 'base64';

export interface EmbedOptions {
  /** Texts per `/v1/embeddings` request. */
  batchSize?: number;
  /** Wire format; `float` unless the endpoint only speaks base64. Vectors come back as numbers either way. */
  encodingFormat?: EmbeddingEncoding;
  model?: string;
  dimensions?: number;
  callSite?: string;
  signal?: AbortSignal;
}

export interface EmbedResult {
  vectors: number[][];
  usage: TokenCount;
}

export function emptyTokenCount(): TokenCount {
  return { promptTokens: 0, completionTokens: 0, calls: 0 };
}

export function addTokenCounts(a: TokenCount, b: TokenCount): TokenCount {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    calls: a.calls + b.calls,
  };
}
