// The one way datacreek talks to an OpenAI-compatible endpoint. The openai SDK does the HTTP; this
// class adds what a batch of hundreds of calls needs: the process-wide adaptive limiter, per-attempt
// timeouts, our own retries (the SDK's are off so every 429 reaches the limiter), token accounting,
// structured output that never throws on a bad answer, and embeddings.
import OpenAI from 'openai';
import type { z } from 'zod';
import { linkedAbort } from '../common';
import { decodeBase64Embedding } from './embedding-encoding';
import { abortReason, endpointKey, getEndpointLimiter, type EndpointLimiter } from './endpoint-limiter';
import { backoffDelayMs, classifyFailure, sleep, type FailureKind } from './retry';
import { sharedEndpointBudget, type EndpointLease } from './shared-budget';
import { jsonInstruction, parseLlmJson, reaskInstruction, toEndpointJsonSchema, validateJson } from './structured-output';
import { estimateTokens, UsageMeter } from './token-usage';
import {
  addTokenCounts,
  STRUCTURED_OUTPUT_MODES,
  type ChatJsonOptions,
  type ChatOptions,
  type ChatResult,
  type CompletionOptions,
  type CompletionResult,
  type EmbedOptions,
  type EmbedResult,
  type JsonResult,
  type LlmEndpointConfig,
  type LlmMessage,
  type StructuredOutputMode,
  type TokenCount,
  type TokenLogprob,
  type TokenUsage,
} from './types';

/** A request that failed for good: not retryable, or out of retries. Bad output is never this (see chatJson). */
export class LlmRequestError extends Error {
  /**
   * Whether trying again later may help (rate limit, 5xx, timeout, connection, 408/409): an
   * activity retry is worth it. False for other 4xx answers (bad key, unknown model, bad request),
   * which need a config fix and should fail the activity as non-retryable.
   */
  readonly retryableLater: boolean;

  constructor(
    readonly endpoint: string,
    readonly kind: FailureKind,
    readonly status: number | null,
    readonly attempts: number,
    detail: string,
  ) {
    super(`LLM request to ${endpoint} failed after ${attempts} attempt(s) (${kind}${status ? ` ${status}` : ''}): ${detail}${hintFor(kind, status)}`);
    this.name = 'LlmRequestError';
    this.retryableLater = kind !== 'client_error' || status === 408 || status === 409;
  }
}

function hintFor(kind: FailureKind, status: number | null): string {
  if (status === 401 || status === 403) return ' — check the endpoint apiKey';
  if (status === 404) return ' — check the baseURL (it should end in /v1) and the model name';
  if (kind === 'timeout') return ' — raise timeoutMs or lower maxConcurrency if the endpoint is overloaded';
  if (kind === 'connection') return ' — is the endpoint running and reachable at this baseURL?';
  if (kind === 'rate_limited') return ' — lower maxConcurrency or raise maxRetries';
  return '';
}

/**
 * Endpoint + model pairs known (from a 400) not to accept `response_format`; they get the schema in
 * the prompt instead. Per model too, because one endpoint (OpenAI, a proxy) may serve models that differ.
 */
const endpointsWithoutResponseFormat = new Set<string>();

const MAX_EMBEDDING_BATCH = 2048;

export class LlmClient {
  readonly config: LlmEndpointConfig;
  readonly endpoint: string;
  private readonly sdk: OpenAI;
  private readonly limiter: EndpointLimiter;
  private readonly meter = new UsageMeter();

  constructor(config: LlmEndpointConfig) {
    validateEndpointConfig(config);
    this.config = config;
    this.endpoint = endpointKey(config.baseURL);
    this.sdk = new OpenAI({
      baseURL: config.baseURL,
      // Local servers ignore the key, but the SDK refuses to start without one.
      apiKey: config.apiKey || 'not-needed',
      maxRetries: 0,
      timeout: config.timeoutMs,
    });
    this.limiter = getEndpointLimiter(config.baseURL, config.maxConcurrency);
  }

  /** The process-wide limiter this client shares with every other client of the same endpoint. */
  endpointLimiter(): EndpointLimiter {
    return this.limiter;
  }

  /** Tokens this client has spent, in total and per call site. */
  usage(): TokenUsage {
    return this.meter.snapshot();
  }

  async chat(options: ChatOptions): Promise<ChatResult> {
    const model = options.model ?? this.config.model;
    const temperature = options.temperature ?? this.config.temperature;
    const maxTokens = options.maxTokens ?? this.config.maxTokens;
    const body: Record<string, unknown> = { model, messages: options.messages };
    if (temperature !== undefined) body.temperature = temperature;
    if (maxTokens !== undefined) body.max_tokens = maxTokens;
    if (options.responseFormat) body.response_format = options.responseFormat;
    if (options.logprobs) body.logprobs = true;
    if (options.seed !== undefined) body.seed = options.seed;
    if (options.n !== undefined && options.n !== 1) body.n = options.n;
    if (options.extraBody) Object.assign(body, options.extraBody);

    const { value: response, attempts } = await this.withRetries(options.signal, (signal) =>
      this.sdk.chat.completions.create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming, { signal }),
    );
    const choice = response.choices?.[0];
    const content = choice?.message?.content ?? '';
    const choices = [...(response.choices ?? [])].sort((a, b) => a.index - b.index).map((c) => c.message?.content ?? '');
    const usage: TokenCount = {
      promptTokens: response.usage?.prompt_tokens ?? estimateTokens(options.messages.map((m) => m.content).join('\n')),
      completionTokens: response.usage?.completion_tokens ?? estimateTokens(content),
      calls: 1,
    };
    this.meter.add(options.callSite ?? 'chat', usage);
    const logprobs: TokenLogprob[] | null = choice?.logprobs?.content?.map((entry) => ({ token: entry.token, logprob: entry.logprob })) ?? null;
    return { content, choices, finishReason: choice?.finish_reason ?? null, usage, logprobs, attempts };
  }

  /**
   * A legacy `/v1/completions` call, for prompts already wrapped in a model family's chat format (what
   * InstructLab's LLMBlock sends). Same limiter, timeouts and retries as chat.
   */
  async complete(options: CompletionOptions): Promise<CompletionResult> {
    const body: Record<string, unknown> = { model: options.model ?? this.config.model, prompt: options.prompt };
    const temperature = options.temperature ?? this.config.temperature;
    const maxTokens = options.maxTokens ?? this.config.maxTokens;
    if (temperature !== undefined) body.temperature = temperature;
    if (maxTokens !== undefined) body.max_tokens = maxTokens;
    if (options.seed !== undefined) body.seed = options.seed;
    if (options.n !== undefined && options.n !== 1) body.n = options.n;
    if (options.extraBody) Object.assign(body, options.extraBody);

    const { value: response, attempts } = await this.withRetries(options.signal, (signal) =>
      this.sdk.completions.create(body as unknown as OpenAI.CompletionCreateParamsNonStreaming, { signal }),
    );
    const choices = [...(response.choices ?? [])].sort((a, b) => a.index - b.index);
    const texts = choices.map((c) => c.text ?? '');
    const usage: TokenCount = {
      promptTokens: response.usage?.prompt_tokens ?? estimateTokens(options.prompt),
      completionTokens: response.usage?.completion_tokens ?? estimateTokens(texts.join('\n')),
      calls: 1,
    };
    this.meter.add(options.callSite ?? 'complete', usage);
    return { texts, finishReasons: choices.map((c) => c.finish_reason ?? null), usage, attempts };
  }

  /**
   * Asks for JSON and returns it validated, or `{ ok: false, reason, raw }`: a bad answer is an
   * outcome, never a throw (a bad output is an outcome, not a crash). Unparseable text is repaired with jsonrepair;
   * what still fails parsing or the schema is re-asked once with the error quoted. Transport failures
   * that outlast the retries still throw LlmRequestError, so the activity can retry later.
   */
  async chatJson<T>(options: ChatJsonOptions<T>): Promise<JsonResult<T>> {
    const jsonSchema = options.jsonSchema ?? toEndpointJsonSchema(options.schema as z.ZodType);
    const fallbackKey = `${this.endpoint}#${options.model ?? this.config.model}`;
    let mode = endpointsWithoutResponseFormat.has(fallbackKey) ? 'prompt' : (options.mode ?? this.config.structuredOutput);
    let messages = structuredMessages(options.messages, mode, options.schemaName, jsonSchema);

    let first: ChatResult;
    try {
      first = await this.chat(this.structuredRequest(options, mode, messages, jsonSchema));
    } catch (error) {
      if (mode === 'prompt' || !isResponseFormatRejection(error)) throw error;
      // The endpoint does not do structured output (older vLLM, llama.cpp without grammar support,
      // some proxies): describe the schema in the prompt from now on, for every client of it.
      endpointsWithoutResponseFormat.add(fallbackKey);
      mode = 'prompt';
      messages = structuredMessages(options.messages, mode, options.schemaName, jsonSchema);
      first = await this.chat(this.structuredRequest(options, mode, messages, jsonSchema));
    }

    const firstOutcome = interpretJson(first, options.schema);
    if (firstOutcome.ok) {
      return {
        ok: true,
        value: firstOutcome.value,
        raw: first.content,
        usage: first.usage,
        repaired: firstOutcome.repaired,
        reasked: false,
        mode,
        finishReason: first.finishReason,
      };
    }

    const reaskMessages: LlmMessage[] = [
      ...messages,
      { role: 'assistant', content: first.content },
      { role: 'user', content: reaskInstruction(options.schemaName, firstOutcome.reason) },
    ];
    const second = await this.chat(this.structuredRequest(options, mode, reaskMessages, jsonSchema));
    const usage = addTokenCounts(first.usage, second.usage);
    const secondOutcome = interpretJson(second, options.schema);
    if (secondOutcome.ok) {
      return {
        ok: true,
        value: secondOutcome.value,
        raw: second.content,
        usage,
        repaired: secondOutcome.repaired,
        reasked: true,
        mode,
        finishReason: second.finishReason,
      };
    }
    return {
      ok: false,
      reason: `${secondOutcome.reason} (after one re-ask; the first answer failed with: ${firstOutcome.reason})`,
      raw: second.content,
      usage,
      reasked: true,
      mode,
    };
  }

  /**
   * Embeds texts through `/v1/embeddings`, in batches that run concurrently under the endpoint's
   * limiter. Asks for `float` by default (the openai v6 SDK would otherwise ask for base64); base64
   * answers are decoded, so callers always get numbers.
   */
  async embed(texts: string[], options: EmbedOptions = {}): Promise<EmbedResult> {
    const batchSize = options.batchSize ?? 64;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_EMBEDDING_BATCH) {
      throw new Error(`embed batchSize must be an integer from 1 to ${MAX_EMBEDDING_BATCH}, got ${batchSize}`);
    }
    const encodingFormat = options.encodingFormat ?? 'float';
    const model = options.model ?? this.config.model;
    const batches: string[][] = [];
    for (let start = 0; start < texts.length; start += batchSize) batches.push(texts.slice(start, start + batchSize));

    const results = await Promise.all(
      batches.map(async (batch) => {
        const body: OpenAI.EmbeddingCreateParams = { model, input: batch, encoding_format: encodingFormat };
        if (options.dimensions !== undefined) body.dimensions = options.dimensions;
        const { value: response } = await this.withRetries(options.signal, (signal) => this.sdk.embeddings.create(body, { signal }));
        if (!Array.isArray(response.data) || response.data.length !== batch.length) {
          throw new Error(
            `Embedding endpoint ${this.endpoint} (model ${model}) returned ${response.data?.length ?? 0} vectors for ${batch.length} inputs; check that the model is an embedding model`,
          );
        }
        const vectors = [...response.data]
          .sort((a, b) => a.index - b.index)
          .map((item) => (typeof item.embedding === 'string' ? decodeBase64Embedding(item.embedding) : item.embedding));
        const usage: TokenCount = {
          promptTokens: response.usage?.prompt_tokens ?? estimateTokens(batch.join('\n')),
          completionTokens: 0,
          calls: 1,
        };
        this.meter.add(options.callSite ?? 'embed', usage);
        return { vectors, usage };
      }),
    );
    return {
      vectors: results.flatMap((result) => result.vectors),
      usage: results.reduce((sum, result) => addTokenCounts(sum, result.usage), { promptTokens: 0, completionTokens: 0, calls: 0 }),
    };
  }

  private structuredRequest<T>(
    options: ChatJsonOptions<T>,
    mode: StructuredOutputMode,
    messages: LlmMessage[],
    jsonSchema: Record<string, unknown>,
  ): ChatOptions {
    const request: ChatOptions = {
      messages,
      callSite: options.callSite ?? options.schemaName,
      temperature: options.temperature,
      maxTokens: options.maxTokens,
      model: options.model,
      logprobs: options.logprobs,
      seed: options.seed,
      signal: options.signal,
    };
    if (mode === 'json_schema') {
      request.responseFormat = {
        type: 'json_schema',
        json_schema: { name: options.schemaName, schema: jsonSchema, strict: options.strict ?? true },
      };
    } else if (mode === 'json_object') {
      request.responseFormat = { type: 'json_object' };
    }
    return request;
  }

  /**
   * One logical request: takes a slot per attempt, gives it back before any backoff (a waiting retry
   * must not hold capacity), and retries what a retry can fix.
   */
  private async withRetries<T>(signal: AbortSignal | undefined, send: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; attempts: number }> {
    for (let attempt = 0; ; attempt++) {
      const permit = await this.limiter.acquire(signal);
      // The local limiter is the fast bound in front; the shared budget (when the worker installed one) keeps the
      // endpoint's concurrency across every worker, sized by this limiter's current maximum.
      let lease: EndpointLease | undefined;
      try {
        lease = await sharedEndpointBudget()?.acquire(this.endpoint, this.limiter.stats().maxConcurrency, signal);
      } catch (error) {
        permit.release('cancelled');
        throw error;
      }
      const release: typeof permit.release = (outcome, retryAfterMs) => {
        lease?.release();
        permit.release(outcome, retryAfterMs);
      };
      const attemptAbort = linkedAbort([signal], this.config.timeoutMs);
      try {
        const value = await send(attemptAbort.signal).finally(() => attemptAbort.dispose());
        release('success');
        return { value, attempts: attempt + 1 };
      } catch (error) {
        if (signal?.aborted) {
          release('cancelled');
          throw abortReason(signal);
        }
        const failure = classifyFailure(error, attemptAbort.timedOut);
        release(failure.kind === 'rate_limited' ? 'throttled' : 'failed', failure.retryAfterMs ?? undefined);
        if (!failure.retryable || attempt >= this.config.maxRetries) {
          throw new LlmRequestError(this.endpoint, failure.kind, failure.status, attempt + 1, withoutKey(failure.message, this.config.apiKey));
        }
        // The endpoint's Retry-After when it gave a positive one (the limiter pauses every caller
        // until then); otherwise exponential backoff, so a "Retry-After: 0" is no licence to hammer.
        const retryAfterMs = failure.retryAfterMs ?? 0;
        await sleep(retryAfterMs > 0 ? retryAfterMs : backoffDelayMs(attempt, { baseMs: this.config.retryBaseDelayMs }), signal);
      }
    }
  }
}

/**
 * The endpoint's error text with our API key masked. Some gateways quote the key back ("rejected the request made
 * with key sk-…"); the message travels on into activity failures, workflow histories and logs, which must never
 * hold a secret (found by tests/chaos/security.test.ts).
 */
function withoutKey(message: string, apiKey: string | undefined): string {
  if (!apiKey || apiKey === 'not-needed' || apiKey.length < 8) return message;
  return message.split(apiKey).join('***');
}

/** In prompt and json_object modes the schema goes into the last user message (json_object also needs the word JSON there). */
function structuredMessages(messages: LlmMessage[], mode: StructuredOutputMode, schemaName: string, jsonSchema: Record<string, unknown>): LlmMessage[] {
  if (mode === 'json_schema') return messages;
  const instruction = jsonInstruction(schemaName, jsonSchema);
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  // Appending to the user turn rather than adding a system turn keeps roles alternating, which
  // several chat templates (Mistral, Gemma) require.
  if (lastUser < 0) return [...messages, { role: 'user', content: instruction }];
  return messages.map((message, index) => (index === lastUser ? { ...message, content: `${message.content}\n\n${instruction}` } : message));
}

function interpretJson<T>(result: ChatResult, schema: z.ZodType<T>): { ok: true; value: T; repaired: boolean } | { ok: false; reason: string } {
  const cutOff = result.finishReason === 'length' ? ' (the answer was cut off at the token limit: raise maxTokens or ask for fewer items)' : '';
  const parsed = parseLlmJson(result.content);
  if (!parsed.ok) return { ok: false, reason: parsed.reason + cutOff };
  const validated = validateJson(parsed.value, schema);
  if (!validated.ok) return { ok: false, reason: validated.reason + cutOff };
  return { ok: true, value: validated.value, repaired: parsed.repaired };
}

/** A 400/422 that says the endpoint does not take `response_format`: ask again without it. */
export function isResponseFormatRejection(error: unknown): boolean {
  return (
    error instanceof LlmRequestError &&
    (error.status === 400 || error.status === 422) &&
    /response_format|json_schema|json_object|structured output|guided/i.test(error.message)
  );
}

function validateEndpointConfig(config: LlmEndpointConfig): void {
  endpointKey(config.baseURL);
  const where = `LLM endpoint ${config.baseURL}`;
  if (!config.model || typeof config.model !== 'string') throw new Error(`${where}: model is required (e.g. "meta-llama/Llama-3.3-70B-Instruct")`);
  if (!(config.timeoutMs > 0)) throw new Error(`${where}: timeoutMs must be a positive number of milliseconds, got ${config.timeoutMs}`);
  if (!Number.isInteger(config.maxRetries) || config.maxRetries < 0) {
    throw new Error(`${where}: maxRetries must be an integer ≥ 0, got ${config.maxRetries}`);
  }
  if (config.retryBaseDelayMs !== undefined && !(config.retryBaseDelayMs >= 0)) {
    throw new Error(`${where}: retryBaseDelayMs must be a number of milliseconds ≥ 0, got ${config.retryBaseDelayMs}`);
  }
  if (!STRUCTURED_OUTPUT_MODES.includes(config.structuredOutput)) {
    throw new Error(`${where}: structuredOutput must be one of ${STRUCTURED_OUTPUT_MODES.join(', ')}, got ${String(config.structuredOutput)}`);
  }
}

/** For tests and a worker that reconfigures endpoints: forget which endpoints rejected response_format. */
export function forgetResponseFormatFallbacks(): void {
  endpointsWithoutResponseFormat.clear();
}
