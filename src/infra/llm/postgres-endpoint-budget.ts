// The shared endpoint budget kept in PostgreSQL, table endpoint_lease_slots: one row per slot of an endpoint. A
// request claims a free (or expired) slot with FOR UPDATE SKIP LOCKED, so concurrent claimers never wait on each
// other's row locks, and frees it with a NOTIFY that wakes waiters in every worker at once. A held slot is renewed
// while its request runs; a worker that dies stops renewing, and its slots come free after the lease time.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import postgres from 'postgres';
import { abortReason } from './endpoint-limiter';
import type { EndpointLease, SharedEndpointBudget } from './shared-budget';

const FREED_CHANNEL = 'datacreek_endpoint_slot_freed';

export interface PostgresEndpointBudgetOptions {
  /** How long a slot stays held without renewal (a dead worker's slots free themselves after this). */
  leaseTtlMs?: number;
  /** How often a waiter looks again without a notification (expired leases send none). */
  pollMs?: number;
}

export class PostgresEndpointBudget implements SharedEndpointBudget {
  private readonly leaseTtlMs: number;
  private readonly pollMs: number;
  /** Names this process in `holder`, so an operator can see which worker holds which slot. */
  private readonly holderPrefix = `${os.hostname()}/${process.pid}`;
  private readonly wakers = new Map<string, Set<() => void>>();
  /** Slots already inserted per endpoint by this process: the insert runs again only when the budget grows. */
  private readonly seededSlots = new Map<string, number>();
  private readonly held = new Set<{ release(): void }>();
  private listening: Promise<unknown> | null = null;
  private lostLeaseReported = false;

  constructor(
    private readonly sql: postgres.Sql,
    options: PostgresEndpointBudgetOptions = {},
  ) {
    this.leaseTtlMs = options.leaseTtlMs ?? 20_000;
    this.pollMs = options.pollMs ?? 250;
  }

  async acquire(endpoint: string, slots: number, signal?: AbortSignal): Promise<EndpointLease> {
    if (!Number.isInteger(slots) || slots < 1) throw new Error(`shared budget of endpoint ${endpoint} must be a positive integer of slots, got ${slots}`);
    await this.seed(endpoint, slots);
    this.listen();
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      // Armed before the claim, so a slot freed between a failed claim and the wait still wakes this caller.
      const freed = this.nextFreedSlot(endpoint, signal);
      const holder = `${this.holderPrefix}/${randomUUID()}`;
      const claimed = await this.sql<{ slot: number }[]>`
        UPDATE endpoint_lease_slots
        SET holder = ${holder}, expires_at = now() + ${this.leaseTtlMs} * interval '1 millisecond'
        WHERE (endpoint, slot) = (
          SELECT endpoint, slot FROM endpoint_lease_slots
          WHERE endpoint = ${endpoint} AND slot < ${slots} AND (holder IS NULL OR expires_at < now())
          ORDER BY slot
          LIMIT 1
          FOR UPDATE SKIP LOCKED
        )
        RETURNING slot`;
      if (claimed.length > 0) {
        freed.cancel();
        return this.hold(endpoint, claimed[0]!.slot, holder);
      }
      await freed.promise;
    }
  }

  /** Frees every slot this process still holds and stops listening; the caller closes the connection. */
  async close(): Promise<void> {
    for (const lease of [...this.held]) lease.release();
    const listening = await this.listening?.catch(() => null);
    await (listening as { unlisten?: () => Promise<void> } | null)?.unlisten?.().catch(() => {});
  }

  private async seed(endpoint: string, slots: number): Promise<void> {
    if ((this.seededSlots.get(endpoint) ?? 0) >= slots) return;
    await this.sql`
      INSERT INTO endpoint_lease_slots (endpoint, slot)
      SELECT ${endpoint}, generate_series(0, ${slots - 1}::int)
      ON CONFLICT DO NOTHING`;
    this.seededSlots.set(endpoint, slots);
  }

  private listen(): void {
    this.listening ??= this.sql
      .listen(FREED_CHANNEL, (endpoint) => this.wake(endpoint))
      .catch((error: unknown) => {
        // Without notifications waiters still poll; try listening again on the next acquire.
        this.listening = null;
        console.warn(`[endpoint-budget] cannot listen for freed slots (waiters poll every ${this.pollMs} ms): ${String(error)}`);
      });
  }

  private wake(endpoint: string): void {
    const wakers = this.wakers.get(endpoint);
    if (!wakers) return;
    this.wakers.delete(endpoint);
    for (const wake of wakers) wake();
  }

  /** Resolves when a slot of `endpoint` is freed anywhere, after `pollMs`, or rejects when `signal` aborts. */
  private nextFreedSlot(endpoint: string, signal?: AbortSignal): { promise: Promise<void>; cancel(): void } {
    let settle: () => void = () => {};
    const promise = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => settle(), this.pollMs);
      const onAbort = () => {
        cleanup();
        reject(abortReason(signal!));
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.wakers.get(endpoint)?.delete(settle);
      };
      settle = () => {
        cleanup();
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let wakers = this.wakers.get(endpoint);
      if (!wakers) this.wakers.set(endpoint, (wakers = new Set()));
      wakers.add(settle);
    });
    // A cancelled wait is never awaited: its rejection on a later abort must not surface as unhandled.
    promise.catch(() => {});
    return { promise, cancel: () => settle() };
  }

  private hold(endpoint: string, slot: number, holder: string): EndpointLease {
    const renew = setInterval(
      () => {
        this.sql`
        UPDATE endpoint_lease_slots SET expires_at = now() + ${this.leaseTtlMs} * interval '1 millisecond'
        WHERE endpoint = ${endpoint} AND slot = ${slot} AND holder = ${holder}
        RETURNING slot`
          .then((rows) => {
            if (rows.length === 0) this.reportLostLease(endpoint);
          })
          .catch(() => {
            // PostgreSQL unreachable: the next renewal tries again; the lease only lapses after the whole lease time.
          });
      },
      Math.max(50, Math.floor(this.leaseTtlMs / 4)),
    );
    renew.unref();
    let released = false;
    const lease = {
      release: () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        this.held.delete(lease);
        // Not awaited: the request is over either way, and a release that fails is undone by the lease expiring.
        this.sql`
          WITH freed AS (
            UPDATE endpoint_lease_slots SET holder = NULL, expires_at = NULL
            WHERE endpoint = ${endpoint} AND slot = ${slot} AND holder = ${holder}
            RETURNING endpoint
          )
          SELECT pg_notify(${FREED_CHANNEL}, endpoint) FROM freed`.catch(() => {});
      },
    };
    this.held.add(lease);
    return lease;
  }

  private reportLostLease(endpoint: string): void {
    if (this.lostLeaseReported) return;
    this.lostLeaseReported = true;
    console.warn(
      `[endpoint-budget] a slot of ${endpoint} expired while its request still ran (the worker did not renew it within ${this.leaseTtlMs} ms): the endpoint may briefly see more than its concurrency`,
    );
  }
}

/**
 * A shared budget on its own small pool, so claiming a slot never queues behind an activity's bulk writes.
 * `close` frees the slots still held and ends the pool.
 */
export function connectEndpointBudget(
  databaseUrl: string,
  options: PostgresEndpointBudgetOptions = {},
): { budget: PostgresEndpointBudget; close(): Promise<void> } {
  if (!databaseUrl)
    throw new Error('The shared LLM concurrency budget needs a database: set DATABASE_URL or database.url, or set llm.concurrency_scope: process.');
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {}, idle_timeout: 30, connect_timeout: 10 });
  const budget = new PostgresEndpointBudget(sql, options);
  return {
    budget,
    close: async () => {
      await budget.close();
      await sql.end({ timeout: 5 });
    },
  };
}
