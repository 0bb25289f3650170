// The shared endpoint budget against the test PostgreSQL: two budgets stand for two worker processes.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { migrateDatabase } from '../../../src/infra/db/client';
import { PostgresEndpointBudget } from '../../../src/infra/llm/postgres-endpoint-budget';

let sql: postgres.Sql;
const budgets: PostgresEndpointBudget[] = [];

function budget(options: ConstructorParameters<typeof PostgresEndpointBudget>[1] = {}): PostgresEndpointBudget {
  const created = new PostgresEndpointBudget(sql, options);
  budgets.push(created);
  return created;
}

beforeAll(async () => {
  await migrateDatabase(inject('databaseUrl'));
  sql = postgres(inject('databaseUrl'), { max: 6, onnotice: () => {} });
});

afterAll(async () => {
  for (const b of budgets) await b.close();
  await sql.end({ timeout: 5 });
});

describe('PostgresEndpointBudget', () => {
  it('never lets two workers hold more than the endpoint has slots, and frees slots for waiters', async () => {
    const endpoint = `http://budget-${randomUUID()}/v1`;
    const [a, b] = [budget(), budget()];
    let inFlight = 0;
    let peak = 0;
    const request = async (from: PostgresEndpointBudget) => {
      const lease = await from.acquire(endpoint, 3);
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      lease.release();
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 30 }, (_, i) => request(i % 2 ? a : b)));
    expect(peak).toBe(3);
    // 30 requests of 20 ms on 3 slots: 200 ms of work. Freed slots wake waiters by NOTIFY, not only by polling
    // (250 ms each), so this stays far from 10 rounds of polling even on a loaded machine.
    expect(Date.now() - started).toBeLessThan(2500);
    // Releases are sent without waiting for them: every slot is free shortly after the last one.
    await vi.waitFor(
      async () => {
        const held = await sql`SELECT count(*)::int AS n FROM endpoint_lease_slots WHERE endpoint = ${endpoint} AND holder IS NOT NULL`;
        expect(held[0]!.n).toBe(0);
      },
      { timeout: 3000, interval: 50 },
    );
  });

  it('frees a dead worker’s slot once its lease expires', async () => {
    const endpoint = `http://budget-${randomUUID()}/v1`;
    // A "worker" that took the only slot and then died: nobody renews or releases it.
    await sql`INSERT INTO endpoint_lease_slots (endpoint, slot, holder, expires_at) VALUES (${endpoint}, 0, 'dead-worker', now() + interval '400 milliseconds')`;
    const started = Date.now();
    const lease = await budget({ pollMs: 50 }).acquire(endpoint, 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const [row] = await sql`SELECT holder FROM endpoint_lease_slots WHERE endpoint = ${endpoint} AND slot = 0`;
    expect(row!.holder).not.toBe('dead-worker');
    lease.release();
  });

  it('renews a held lease so a long request keeps its slot', async () => {
    const endpoint = `http://budget-${randomUUID()}/v1`;
    const holder = budget({ leaseTtlMs: 300 });
    const lease = await holder.acquire(endpoint, 1);
    await new Promise((resolve) => setTimeout(resolve, 900));
    const waiter = new AbortController();
    const attempt = budget({ pollMs: 50 }).acquire(endpoint, 1, waiter.signal);
    setTimeout(() => waiter.abort(new Error('gave up waiting')), 300);
    await expect(attempt).rejects.toThrow('gave up waiting');
    lease.release();
  });
});
