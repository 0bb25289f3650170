// One adaptive concurrency limit per endpoint per worker process (keep the endpoint full, never flooded): every
// activity in the process that calls an endpoint shares its limiter, so together they saturate the
// endpoint without flooding it. The limit behaves like TCP congestion control: it is cut
// multiplicatively on a 429 and probed back up by one after a full window of successes, never above
// the configured maximum. A Retry-After pauses all new requests to the endpoint until it has passed.

/** `cancelled`: the caller gave up (activity cancellation); it frees the slot and says nothing about the endpoint. */
export type RequestOutcome = 'success' | 'throttled' | 'failed' | 'cancelled';

export interface EndpointLimiterStats {
  /** Requests holding a slot right now. */
  inFlight: number;
  /** Most requests that ever held a slot at once since creation or `resetStats()`. */
  peakInFlight: number;
  /** Callers waiting for a slot (or for a Retry-After pause to end). */
  queued: number;
  /** The current adaptive limit, between 1 and `maxConcurrency`. */
  limit: number;
  maxConcurrency: number;
  /** Requests that ended in success. */
  completed: number;
  /** Requests answered with 429. */
  throttled: number;
  /** Requests that ended in any other error (5xx, timeout, connection, 4xx). */
  failed: number;
  /** Epoch ms until which new requests are held back, or null when not paused. */
  pausedUntil: number | null;
}

export interface EndpointLimiterOptions {
  /** Factor applied to the limit on a 429 (multiplicative decrease). */
  decreaseFactor?: number;
  /** Lower bound of the adaptive limit. */
  minConcurrency?: number;
}

/** A held slot. Release it exactly once with the request's outcome; later releases are ignored. */
export interface LimiterPermit {
  readonly acquiredAt: number;
  release(outcome: RequestOutcome, retryAfterMs?: number): void;
}

interface Waiter {
  resolve: (permit: LimiterPermit) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class EndpointLimiter {
  readonly key: string;
  private maxConcurrency: number;
  private limit: number;
  private readonly decreaseFactor: number;
  private readonly minConcurrency: number;
  private inFlight = 0;
  private peakInFlight = 0;
  private completed = 0;
  private throttled = 0;
  private failed = 0;
  private successStreak = 0;
  /** Grants are numbered; those made before the last decrease saw the old limit and their 429s must not cut again. */
  private grants = 0;
  private grantsAtLastDecrease = -1;
  private pausedUntil = 0;
  private pauseTimer: NodeJS.Timeout | null = null;
  private readonly waiters: Waiter[] = [];

  constructor(key: string, maxConcurrency: number, options: EndpointLimiterOptions = {}) {
    assertPositiveInteger(maxConcurrency, `maxConcurrency for endpoint ${key}`);
    this.key = key;
    this.maxConcurrency = maxConcurrency;
    this.limit = maxConcurrency;
    this.decreaseFactor = options.decreaseFactor ?? 0.5;
    this.minConcurrency = Math.max(1, options.minConcurrency ?? 1);
  }

  /** Waits for a free slot (and for any Retry-After pause to end). Rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<LimiterPermit> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<LimiterPermit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** Runs `fn` holding a slot; the outcome is `success` unless `fn` throws (then `failed`). */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const permit = await this.acquire(signal);
    try {
      const value = await fn();
      permit.release('success');
      return value;
    } catch (error) {
      permit.release('failed');
      throw error;
    }
  }

  /**
   * Changes the maximum at run time (a workflow update). An explicit choice by the operator: when
   * the limit was not throttled down it follows the new maximum; otherwise it is only capped by it
   * and keeps probing upwards from where it is.
   */
  setMaxConcurrency(maxConcurrency: number): void {
    assertPositiveInteger(maxConcurrency, `maxConcurrency for endpoint ${this.key}`);
    const wasAtMax = this.limit >= this.maxConcurrency;
    this.maxConcurrency = maxConcurrency;
    this.limit = wasAtMax ? maxConcurrency : Math.min(this.limit, maxConcurrency);
    this.limit = Math.max(this.limit, Math.min(this.minConcurrency, maxConcurrency));
    this.pump();
  }

  /** Holds new requests back for `ms` (used for Retry-After); extends, never shortens, a pause. */
  pauseFor(ms: number): void {
    if (!(ms > 0)) return;
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
    this.pump();
  }

  stats(): EndpointLimiterStats {
    return {
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
      queued: this.waiters.length,
      limit: this.limit,
      maxConcurrency: this.maxConcurrency,
      completed: this.completed,
      throttled: this.throttled,
      failed: this.failed,
      pausedUntil: this.pausedUntil > Date.now() ? this.pausedUntil : null,
    };
  }

  /** Zeroes the counters and the peak (not the limit): for benchmarks that measure one phase. */
  resetStats(): void {
    this.peakInFlight = this.inFlight;
    this.completed = 0;
    this.throttled = 0;
    this.failed = 0;
  }

  private grant(): LimiterPermit {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    const acquiredAt = Date.now();
    const grantNumber = ++this.grants;
    let released = false;
    return {
      acquiredAt,
      release: (outcome, retryAfterMs) => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.record(outcome, grantNumber, retryAfterMs);
        this.pump();
      },
    };
  }

  private record(outcome: RequestOutcome, grantNumber: number, retryAfterMs?: number): void {
    if (outcome === 'cancelled') return;
    if (outcome === 'success') {
      this.completed++;
      this.successStreak++;
      // Additive increase: one more slot after a full window of successes at the current limit.
      if (this.limit < this.maxConcurrency && this.successStreak >= this.limit) {
        this.limit++;
        this.successStreak = 0;
      }
      return;
    }
    this.successStreak = 0;
    if (outcome === 'failed') {
      this.failed++;
      return;
    }
    this.throttled++;
    if (retryAfterMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, Date.now() + retryAfterMs);
    if (grantNumber > this.grantsAtLastDecrease) {
      this.limit = Math.max(this.minConcurrency, Math.floor(this.limit * this.decreaseFactor));
      this.grantsAtLastDecrease = this.grants;
    }
  }

  private pump(): void {
    const now = Date.now();
    if (this.pausedUntil > now) {
      this.schedulePauseEnd(this.pausedUntil - now);
      return;
    }
    while (this.waiters.length > 0 && this.inFlight < this.limit) {
      const waiter = this.waiters.shift()!;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.grant());
    }
  }

  private schedulePauseEnd(delayMs: number): void {
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = null;
      this.pump();
    }, delayMs + 1);
  }
}

const limiters = new Map<string, EndpointLimiter>();

/**
 * The process-wide limiter of an endpoint. The first caller's `maxConcurrency` sets the maximum;
 * later callers share that limiter as it is (change it with `setMaxConcurrency`), so two activities
 * with the same config never double the load on one endpoint.
 */
export function getEndpointLimiter(baseURL: string, maxConcurrency: number): EndpointLimiter {
  const key = endpointKey(baseURL);
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new EndpointLimiter(key, maxConcurrency);
    limiters.set(key, limiter);
  }
  return limiter;
}

/** Every limiter of the process, by endpoint key: for worker metrics and benchmarks. */
export function endpointLimiterStats(): Record<string, EndpointLimiterStats> {
  return Object.fromEntries([...limiters].map(([key, limiter]) => [key, limiter.stats()]));
}

/** Forgets every limiter (tests, and a worker that reloads its endpoints). */
export function clearEndpointLimiters(): void {
  limiters.clear();
}

/** The registry key of a base URL: origin plus path without trailing slashes, so `…/v1` and `…/v1/` share. */
export function endpointKey(baseURL: string): string {
  let url: URL | null = null;
  try {
    url = new URL(baseURL);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(`LLM baseURL "${baseURL}" is not a valid URL: use an absolute http(s) URL such as http://localhost:8000/v1`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function assertPositiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${what} must be a positive integer, got ${value}`);
  }
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}
