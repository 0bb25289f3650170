import { describe, expect, it } from 'vitest';
import { batchPriority, PriorityGate } from '../../../src/activities/build-gate';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('PriorityGate', () => {
  it('runs at most its capacity at once and admits older batches first, then in arrival order', async () => {
    const gate = new PriorityGate(2);
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const call = (name: string, priority: number) =>
      gate.run(priority, () => {
        started.push(name);
        return new Promise<void>((resolve) => releases.set(name, resolve));
      });
    const all = [
      call('young-1', batchPriority(1, 5)),
      call('young-2', batchPriority(1, 5)),
      call('old', batchPriority(1, 2)),
      call('next-round', batchPriority(2, 0)),
    ];
    await tick();
    expect(started).toEqual(['young-1', 'young-2']);
    expect(gate.stats()).toEqual({ active: 2, waiting: 2, capacity: 2 });
    releases.get('young-1')!();
    await tick();
    expect(started).toEqual(['young-1', 'young-2', 'old']);
    releases.get('young-2')!();
    releases.get('old')!();
    await tick();
    expect(started).toEqual(['young-1', 'young-2', 'old', 'next-round']);
    releases.get('next-round')!();
    await Promise.all(all);
    expect(gate.stats().active).toBe(0);
  });

  it('lets a waiting call go when its signal aborts, and frees the slot when a call throws', async () => {
    const gate = new PriorityGate(1);
    let release!: () => void;
    const first = gate.run(0, () => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const waiting = gate.run(1, async () => 'never', controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect(gate.stats().waiting).toBe(0);
    release();
    await first;
    await expect(gate.run(0, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(0, async () => 'ok')).resolves.toBe('ok');
  });
});
