// Which failures are worth another attempt, and how long to wait before it.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { abortReason } from './endpoint-limiter';

export type FailureKind = 'rate_limited' | 'server_error' | 'timeout' | 'connection' | 'client_error';

export interface ClassifiedFailure {
  kind: FailureKind;
  retryable: boolean;
  status: number | null;
  /** From a Retry-After header (seconds or HTTP date), when the endpoint sent one. */
  retryAfterMs: number | null;
  message: string;
}

/** 408 Request Timeout, 409 Conflict and 429 Too Many Requests are the 4xx answers a retry can fix. */
const RETRYABLE_CLIENT_STATUSES = new Set([408, 409, 429]);

/**
 * Classifies an error thrown by the openai SDK during one attempt. `timedOut` says whether our own
 * per-attempt timeout fired (the SDK then reports a user abort, indistinguishable otherwise).
 */
export function classifyFailure(error: unknown, timedOut: boolean): ClassifiedFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (timedOut || error instanceof APIConnectionTimeoutError) {
    return { kind: 'timeout', retryable: true, status: null, retryAfterMs: null, message: 'request timed out' };
  }
  if (error instanceof APIConnectionError && !(error instanceof APIUserAbortError)) {
    return { kind: 'connection', retryable: true, status: null, retryAfterMs: null, message };
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const retryAfterMs = parseRetryAfterMs(error.headers?.get('retry-after-ms')) ?? parseRetryAfter(error.headers?.get('retry-after') ?? null);
    if (status === 429) return { kind: 'rate_limited', retryable: true, status, retryAfterMs, message };
    if (status >= 500) return { kind: 'server_error', retryable: true, status, retryAfterMs, message };
    return { kind: 'client_error', retryable: RETRYABLE_CLIENT_STATUSES.has(status), status, retryAfterMs, message };
  }
  // A failure below the HTTP layer that the SDK did not wrap (e.g. a body that is not JSON).
  return { kind: 'connection', retryable: true, status: null, retryAfterMs: null, message };
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). Returns null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (value == null) return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** `retry-after-ms` (sent by OpenAI and Azure OpenAI) gives the wait in milliseconds, finer than Retry-After. */
export function parseRetryAfterMs(value: string | null | undefined): number | null {
  if (value == null || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return null;
  return Math.round(Number(value));
}

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": uniform in [c/2, c] where c = min(max, base·2^attempt), so
 * retries spread out but never come back immediately.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? 250;
  const maxMs = options.maxMs ?? 20_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/** Sleeps `ms`, or rejects with the abort reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
