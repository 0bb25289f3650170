// What the test LLM server can be told to do: how fast, how parallel, how faulty, how repetitive.

/** Faults the server can inject. Transport faults fail the HTTP request; content faults spoil a 200 answer. */
export type FaultKind =
  | 'rate_limit' // 429 with Retry-After, answered at once without taking a slot
  | 'server_error' // 500 after the latency
  | 'hang' // holds the request (and its slot) until the client gives up or hangMs passes
  | 'malformed_json' // single quotes, trailing commas: jsonrepair can fix it
  | 'truncated_json' // cut off half-way, as at a token limit
  | 'not_json' // prose instead of JSON
  | 'partial_answer'; // valid JSON whose arrays lack their last element (a judge forgetting a record)

export const TRANSPORT_FAULTS: readonly FaultKind[] = ['rate_limit', 'server_error', 'hang'];
export const CONTENT_FAULTS: readonly FaultKind[] = ['malformed_json', 'truncated_json', 'not_json', 'partial_answer'];
export const FAULT_KINDS: readonly FaultKind[] = [...TRANSPORT_FAULTS, ...CONTENT_FAULTS];

export type FaultRates = Record<FaultKind, number>;

export interface DuplicateRates {
  /** Fraction of generated items that repeat an earlier item verbatim. */
  exact: number;
  /** … that repeat an earlier item with a few words changed (MinHash territory). */
  near: number;
  /** … that say an earlier item again in other word order (embedding territory). */
  semantic: number;
}

export interface TestLlmServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Listed by GET /v1/models; any model name is accepted on requests. */
  models: string[];
  /** Fixed latency of every chat and embeddings request, once it holds a slot. */
  latencyMs: number;
  /** Added per completion token (about 4 characters), to mimic decoding time. */
  perTokenLatencyMs: number;
  /** Requests served at once (C); 0 means unlimited. */
  concurrency: number;
  /** Beyond C: `queue` makes requests wait (vLLM); `reject` answers 429 with Retry-After (hosted APIs). */
  overload: 'queue' | 'reject';
  /**
   * A hosted API's rate limit: at most this many requests per second (a token bucket holding one
   * second's worth); beyond it, 429 with Retry-After and retry-after-ms until the next token. 0 = off.
   */
  requestsPerSecond: number;
  /** Probability per request of each fault. */
  faults: FaultRates;
  /** Faults injected into the next requests in order, before any rate applies: exact scenarios for tests. */
  forcedFaults: FaultKind[];
  retryAfterSeconds: number;
  retryAfterFormat: 'seconds' | 'http-date';
  /** Also send OpenAI's `retry-after-ms` header (clients prefer it); off to test plain Retry-After. */
  sendRetryAfterMs: boolean;
  /** How long a hung request is held before the server answers 504. */
  hangMs: number;
  duplicates: DuplicateRates;
  embeddingDimensions: number;
  /** Answer 400 to `response_format: json_schema`, like servers without structured output. */
  rejectJsonSchema: boolean;
  /**
   * Prompts containing this text are refused with a 400 "maximum context length" error, every time: the one
   * bad row of a run. Empty = off.
   */
  refusePromptsContaining: string;
  /** Seeds the fault dice; content never depends on it. */
  seed: number;
}

export interface TestLlmServerOptionsPatch extends Partial<Omit<TestLlmServerOptions, 'faults' | 'duplicates'>> {
  faults?: Partial<FaultRates>;
  duplicates?: Partial<DuplicateRates>;
}

export function noFaults(): FaultRates {
  return { rate_limit: 0, server_error: 0, hang: 0, malformed_json: 0, truncated_json: 0, not_json: 0, partial_answer: 0 };
}

export function defaultOptions(): TestLlmServerOptions {
  return {
    host: '127.0.0.1',
    port: 0,
    models: ['datacreek-test-llm', 'datacreek-test-embedding', 'datacreek-test-reward'],
    latencyMs: 0,
    perTokenLatencyMs: 0,
    concurrency: 0,
    overload: 'queue',
    requestsPerSecond: 0,
    faults: noFaults(),
    forcedFaults: [],
    retryAfterSeconds: 1,
    retryAfterFormat: 'seconds',
    sendRetryAfterMs: true,
    hangMs: 60_000,
    // Some repetition by default so the dedup stages of integration tests have work.
    duplicates: { exact: 0.05, near: 0.05, semantic: 0.05 },
    embeddingDimensions: 384,
    rejectJsonSchema: false,
    refusePromptsContaining: '',
    seed: 1,
  };
}

export function applyPatch(options: TestLlmServerOptions, patch: TestLlmServerOptionsPatch): TestLlmServerOptions {
  const next: TestLlmServerOptions = {
    ...options,
    ...(patch as Partial<TestLlmServerOptions>),
    faults: { ...options.faults, ...patch.faults },
    duplicates: { ...options.duplicates, ...patch.duplicates },
    forcedFaults: patch.forcedFaults ? [...patch.forcedFaults] : options.forcedFaults,
  };
  validateOptions(next);
  return next;
}

export function validateOptions(options: TestLlmServerOptions): void {
  for (const [kind, rate] of Object.entries(options.faults)) {
    if (!FAULT_KINDS.includes(kind as FaultKind)) throw new Error(`Unknown fault "${kind}"; known faults: ${FAULT_KINDS.join(', ')}`);
    if (!(rate >= 0 && rate <= 1)) throw new Error(`Fault rate ${kind} must be between 0 and 1, got ${rate}`);
  }
  for (const kind of options.forcedFaults) {
    if (!FAULT_KINDS.includes(kind)) throw new Error(`Unknown forced fault "${kind}"; known faults: ${FAULT_KINDS.join(', ')}`);
  }
  const dupTotal = options.duplicates.exact + options.duplicates.near + options.duplicates.semantic;
  if (!(dupTotal >= 0 && dupTotal <= 1)) throw new Error(`Duplicate rates must add up to between 0 and 1, got ${dupTotal}`);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 0) {
    throw new Error(`concurrency must be an integer ≥ 0 (0 = unlimited), got ${options.concurrency}`);
  }
  if (!Number.isInteger(options.embeddingDimensions) || options.embeddingDimensions < 1) {
    throw new Error(`embeddingDimensions must be a positive integer, got ${options.embeddingDimensions}`);
  }
  if (!(options.requestsPerSecond >= 0)) throw new Error(`requestsPerSecond must be ≥ 0 (0 = no limit), got ${options.requestsPerSecond}`);
  if (options.overload !== 'queue' && options.overload !== 'reject') throw new Error(`overload must be "queue" or "reject", got ${String(options.overload)}`);
}
