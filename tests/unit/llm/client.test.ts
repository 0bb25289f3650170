// LlmClient against the project's test server over real HTTP: retries, Retry-After, the adaptive
// per-endpoint limit, timeouts, cancellation and token accounting.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LlmClient, LlmRequestError } from '../../../src/infra/llm/client';
import { clearEndpointLimiters } from '../../../src/infra/llm/endpoint-limiter';
import { defaultOptions, noFaults } from '../../../testkit/llm-server/options';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server/server';
import { testEndpointConfig } from '../../../testkit/llm-server/test-endpoint';

let server: TestLlmServer;
const ask = (content = 'Say something about rivers and the sea.') => ({ messages: [{ role: 'user' as const, content }] });

beforeAll(async () => {
  server = await startTestLlmServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  const defaults = defaultOptions();
  server.setOptions({ ...defaults, port: server.port, faults: noFaults(), forcedFaults: [], requestsPerSecond: 0 });
  server.resetStats();
  clearEndpointLimiters();
});

describe('LlmClient.chat', () => {
  it('answers and sums tokens per call site', async () => {
    const llm = new LlmClient(testEndpointConfig(server.url));
    const first = await llm.chat({ ...ask(), callSite: 'alpha' });
    await llm.chat({ ...ask('Another question about lakes.'), callSite: 'beta' });
    await llm.chat({ ...ask(), callSite: 'alpha' });
    expect(first.content).toMatch(/rivers/);
    expect(first.attempts).toBe(1);
    const usage = llm.usage();
    expect(usage.calls).toBe(3);
    expect(usage.byCallSite.alpha.calls).toBe(2);
    expect(usage.byCallSite.alpha.promptTokens).toBe(2 * first.usage.promptTokens);
    expect(usage.promptTokens).toBe(server.stats().promptTokens);
    expect(usage.completionTokens).toBe(server.stats().completionTokens);
  });

  it('honours Retry-After in seconds: the retry waits, the limiter pauses and counts the 429', async () => {
    server.setOptions({ forcedFaults: ['rate_limit'], retryAfterSeconds: 1, sendRetryAfterMs: false });
    const llm = new LlmClient(testEndpointConfig(server.url));
    const started = Date.now();
    const result = await llm.chat(ask());
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(result.attempts).toBe(2);
    expect(llm.endpointLimiter().stats()).toMatchObject({ throttled: 1, completed: 1 });
    expect(server.stats().byStatus).toEqual({ '200': 1, '429': 1 });
  });

  it('honours Retry-After given as an HTTP date', async () => {
    server.setOptions({ forcedFaults: ['rate_limit'], retryAfterSeconds: 2, retryAfterFormat: 'http-date', sendRetryAfterMs: false });
    const llm = new LlmClient(testEndpointConfig(server.url));
    const started = Date.now();
    await llm.chat(ask());
    // An HTTP date has whole seconds, so "in 2 s" can mean anything from just over 1 s to 2 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('prefers the finer retry-after-ms when the endpoint sends it', async () => {
    server.setOptions({ forcedFaults: ['rate_limit'], retryAfterSeconds: 0.3 });
    const llm = new LlmClient(testEndpointConfig(server.url));
    const started = Date.now();
    await llm.chat(ask());
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(900); // not the whole second of the rounded-up Retry-After
  });

  it('retries a hung request after its timeout', async () => {
    server.setOptions({ forcedFaults: ['hang'], hangMs: 30_000 });
    const llm = new LlmClient(testEndpointConfig(server.url, { timeoutMs: 300 }));
    const started = Date.now();
    const result = await llm.chat(ask());
    expect(result.attempts).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.stats().clientAborts).toBe(1);
  });

  it('gives up after maxRetries with an error that names the endpoint and the failure', async () => {
    server.setOptions({ forcedFaults: ['server_error', 'server_error', 'server_error'] });
    const llm = new LlmClient(testEndpointConfig(server.url, { maxRetries: 2 }));
    const error = await llm.chat(ask()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmRequestError);
    expect(error).toMatchObject({ kind: 'server_error', status: 500, attempts: 3, retryableLater: true });
    expect((error as Error).message).toContain(server.url.replace(/\/v1$/, ''));
    expect(server.stats().requests).toBe(3);
  });

  it('does not retry a 400', async () => {
    const llm = new LlmClient(testEndpointConfig(server.url));
    // JSON mode without the word JSON in the messages is a 400 on OpenAI, and on the test server.
    const error = await llm.chat({ ...ask('Hello there.'), responseFormat: { type: 'json_object' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'client_error', status: 400, attempts: 1, retryableLater: false });
    expect(server.stats().requests).toBe(1);
  });

  it('reports a connection failure with a hint', async () => {
    const llm = new LlmClient(testEndpointConfig('http://127.0.0.1:9/v1', { maxRetries: 1 }));
    const error = await llm.chat(ask()).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'connection', attempts: 2 });
    expect((error as Error).message).toMatch(/is the endpoint running/);
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    server.setOptions({ forcedFaults: ['hang'], hangMs: 30_000 });
    const llm = new LlmClient(testEndpointConfig(server.url, { timeoutMs: 10_000 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 200);
    const started = Date.now();
    await expect(llm.chat({ ...ask(), signal: controller.signal })).rejects.toThrow('activity cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.stats().requests).toBe(1);
    expect(llm.endpointLimiter().stats()).toMatchObject({ inFlight: 0, failed: 0 });
  });

  it('rejects an invalid endpoint config with the field and the fix', () => {
    expect(() => new LlmClient(testEndpointConfig(server.url, { maxRetries: -1 }))).toThrow(/maxRetries must be an integer ≥ 0/);
    expect(() => new LlmClient(testEndpointConfig(server.url, { structuredOutput: 'xml' as never }))).toThrow(
      /structuredOutput must be one of json_schema, json_object, prompt/,
    );
  });
});

describe('concurrency under faults', () => {
  it('keeps in-flight requests within the limit and retries without a storm', async () => {
    server.setOptions({ latencyMs: 15, faults: { ...noFaults(), rate_limit: 0.2, server_error: 0.1 }, retryAfterSeconds: 0, seed: 7 });
    const llm = new LlmClient(testEndpointConfig(server.url, { maxConcurrency: 4, maxRetries: 8, retryBaseDelayMs: 20 }));
    const calls = 60;
    const results = await Promise.all(Array.from({ length: calls }, (_, i) => llm.chat(ask(`Question number ${i} about rivers.`))));
    const limiter = llm.endpointLimiter().stats();
    const stats = server.stats();
    expect(results).toHaveLength(calls);
    expect(limiter.peakInFlight).toBeLessThanOrEqual(4);
    expect(stats.peakOpen).toBeLessThanOrEqual(4); // what the server saw, not only what the client counted
    expect(stats.faults.rate_limit).toBeGreaterThan(0);
    expect(limiter.throttled).toBe(stats.byStatus['429']);
    // Every request the server saw is a first attempt or a retry of a failed one: no extra traffic.
    const failedAttempts = (stats.byStatus['429'] ?? 0) + (stats.byStatus['500'] ?? 0);
    expect(stats.requests).toBe(calls + failedAttempts);
  });

  it('lowers the limit on 429s from an overloaded server and probes back up when it recovers', async () => {
    server.setOptions({ latencyMs: 20, concurrency: 2, overload: 'reject', retryAfterSeconds: 0 });
    const llm = new LlmClient(testEndpointConfig(server.url, { maxConcurrency: 8, maxRetries: 20, retryBaseDelayMs: 20 }));
    await Promise.all(Array.from({ length: 40 }, (_, i) => llm.chat(ask(`Overload ${i}.`))));
    const throttled = llm.endpointLimiter().stats();
    expect(throttled.throttled).toBeGreaterThan(0);
    expect(throttled.limit).toBeLessThan(8);

    server.setOptions({ concurrency: 0, overload: 'queue', latencyMs: 2 });
    for (let round = 0; round < 12 && llm.endpointLimiter().stats().limit < 8; round++) {
      await Promise.all(Array.from({ length: 16 }, (_, i) => llm.chat(ask(`Recovered ${round}-${i}.`))));
    }
    expect(llm.endpointLimiter().stats().limit).toBe(8);
  });

  it('stays under a requests-per-second limit by pausing on its Retry-After', async () => {
    server.setOptions({ requestsPerSecond: 20, latencyMs: 100 });
    const llm = new LlmClient(testEndpointConfig(server.url, { maxConcurrency: 8, maxRetries: 20 }));
    const started = Date.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => llm.chat(ask(`Limited ${i}.`))));
    const stats = server.stats();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // 20 at once, then 20 more over a second
    expect(stats.byStatus['200']).toBe(40);
    // Each 429 pauses every caller until the next token and lowers the limit: refusals stay
    // fewer than successes (a client retrying on its own timers would be refused many times over).
    expect(stats.byStatus['429']).toBeGreaterThan(0);
    expect(stats.byStatus['429']).toBeLessThan(40);
  });

  it('applies setMaxConcurrency to every client of the endpoint at run time', async () => {
    server.setOptions({ latencyMs: 30 });
    const a = new LlmClient(testEndpointConfig(server.url, { maxConcurrency: 6 }));
    const b = new LlmClient(testEndpointConfig(server.url, { maxConcurrency: 6 }));
    expect(a.endpointLimiter()).toBe(b.endpointLimiter());
    a.endpointLimiter().setMaxConcurrency(2);
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).chat(ask(`Shared ${i}.`))));
    expect(server.stats().peakInFlight).toBeLessThanOrEqual(2);
    expect(a.endpointLimiter().stats().peakInFlight).toBe(2);
  });
});
