// The sequence pool behind the local server's parallelism: first come first served, cancellable waits,
// and a shutdown that fails whoever is still waiting.
import { describe, expect, it } from 'vitest';
import { SlotPool } from '../../../src/infra/local-llm/slot-pool';

describe('SlotPool', () => {
  it('hands out free slots at once and queues the rest in arrival order', async () => {
    const pool = new SlotPool(['s1', 's2']);
    const first = await pool.acquire();
    const second = await pool.acquire();
    expect(new Set([first, second])).toEqual(new Set(['s1', 's2']));

    const order: string[] = [];
    const third = pool.acquire().then((slot) => order.push(`third:${slot}`));
    const fourth = pool.acquire().then((slot) => order.push(`fourth:${slot}`));
    expect(pool.queued).toBe(2);
    pool.release(second);
    pool.release(first);
    await Promise.all([third, fourth]);
    expect(order).toEqual([`third:${second}`, `fourth:${first}`]);
  });

  it('drops a waiter whose signal aborts, so the slot goes to the next one', async () => {
    const pool = new SlotPool(['only']);
    const held = await pool.acquire();
    const controller = new AbortController();
    const abandoned = pool.acquire(controller.signal);
    const patient = pool.acquire();
    controller.abort(new Error('client went away'));
    await expect(abandoned).rejects.toThrow('client went away');
    expect(pool.queued).toBe(1);
    pool.release(held);
    await expect(patient).resolves.toBe('only');
  });

  it('fails queued and later requests once closed', async () => {
    const pool = new SlotPool([1]);
    await pool.acquire();
    const waiting = pool.acquire();
    pool.close(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    await expect(pool.acquire()).rejects.toThrow('shutting down');
  });
});
