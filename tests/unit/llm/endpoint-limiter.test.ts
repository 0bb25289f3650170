import { describe, expect, it } from 'vitest';
import { EndpointLimiter, clearEndpointLimiters, endpointKey, getEndpointLimiter } from '../../../src/infra/llm/endpoint-limiter';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('EndpointLimiter', () => {
  it('never lets more than the limit run and serves waiters in order', async () => {
    const limiter = new EndpointLimiter('test', 2);
    const order: number[] = [];
    const permits = await Promise.all([limiter.acquire(), limiter.acquire()]);
    const waiting = [3, 4].map((n) =>
      limiter.acquire().then((permit) => {
        order.push(n);
        return permit;
      }),
    );
    await tick();
    expect(limiter.stats()).toMatchObject({ inFlight: 2, queued: 2, peakInFlight: 2 });
    permits[0].release('success');
    await tick();
    expect(order).toEqual([3]);
    permits[1].release('success');
    const [third, fourth] = await Promise.all(waiting);
    expect(order).toEqual([3, 4]);
    third.release('success');
    fourth.release('success');
    expect(limiter.stats()).toMatchObject({ inFlight: 0, peakInFlight: 2, completed: 4 });
  });

  it('halves the limit once per window of 429s, then adds one back per window of successes', async () => {
    const limiter = new EndpointLimiter('test', 8);
    const permits = await Promise.all(Array.from({ length: 8 }, () => limiter.acquire()));
    // Eight requests sent under the old limit all come back 429: one decrease, not eight.
    for (const permit of permits) permit.release('throttled');
    expect(limiter.stats()).toMatchObject({ limit: 4, throttled: 8 });

    // A 429 on a request sent after the decrease cuts again.
    (await limiter.acquire()).release('throttled');
    expect(limiter.stats().limit).toBe(2);

    const succeed = async (n: number) => {
      for (let i = 0; i < n; i++) (await limiter.acquire()).release('success');
    };
    await succeed(2);
    expect(limiter.stats().limit).toBe(3);
    await succeed(3 + 4 + 5 + 6 + 7);
    expect(limiter.stats().limit).toBe(8);
    await succeed(20);
    expect(limiter.stats().limit).toBe(8); // never above the maximum
  });

  it('holds new requests back until a Retry-After has passed', async () => {
    const limiter = new EndpointLimiter('test', 4);
    const permit = await limiter.acquire();
    permit.release('throttled', 300);
    const started = Date.now();
    const next = await limiter.acquire();
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    next.release('success');
  });

  it('changes the maximum at run time', async () => {
    const limiter = new EndpointLimiter('test', 2);
    const held = await Promise.all([limiter.acquire(), limiter.acquire()]);
    let third = false;
    const waiting = limiter.acquire().then((permit) => {
      third = true;
      return permit;
    });
    await tick();
    expect(third).toBe(false);
    limiter.setMaxConcurrency(3);
    (await waiting).release('success');
    expect(third).toBe(true);
    expect(limiter.stats()).toMatchObject({ limit: 3, maxConcurrency: 3 });
    limiter.setMaxConcurrency(1);
    expect(limiter.stats().limit).toBe(1);
    for (const permit of held) permit.release('success');
    expect(() => limiter.setMaxConcurrency(0)).toThrow(/maxConcurrency .* positive integer/);
  });

  it('gives up waiting when the caller aborts, and a cancelled request does not count as a failure', async () => {
    const limiter = new EndpointLimiter('test', 1);
    const held = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error('activity cancelled'));
    await expect(waiting).rejects.toThrow('activity cancelled');
    expect(limiter.stats().queued).toBe(0);
    held.release('cancelled');
    held.release('failed'); // a second release is ignored
    expect(limiter.stats()).toMatchObject({ inFlight: 0, failed: 0, completed: 0 });
  });
});

describe('getEndpointLimiter', () => {
  it('shares one limiter per endpoint across callers, whatever the trailing slash', () => {
    clearEndpointLimiters();
    const a = getEndpointLimiter('http://127.0.0.1:9999/v1', 4);
    const b = getEndpointLimiter('http://127.0.0.1:9999/v1/', 16);
    expect(b).toBe(a);
    expect(b.stats().maxConcurrency).toBe(4);
    expect(getEndpointLimiter('http://127.0.0.1:9998/v1', 4)).not.toBe(a);
  });

  it('names a bad base URL and shows a good one', () => {
    expect(() => endpointKey('localhost:8000')).toThrow(/LLM baseURL "localhost:8000" is not a valid URL.*http:\/\/localhost:8000\/v1/);
  });
});
