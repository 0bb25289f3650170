// The project's test LLM server itself: deterministic content, duplicates on demand, its own
// concurrency limit and stats, and running as a separate process with HTTP control.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nearVariant, semanticVariant } from '../../../testkit/llm-server/duplicates';
import { embedText } from '../../../testkit/llm-server/embeddings';
import { noFaults } from '../../../testkit/llm-server/options';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server/server';
import { SAMPLE_TEXT } from '../../../testkit/llm-server/test-endpoint';

let server: TestLlmServer;

async function post(path: string, body: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json(), headers: response.headers };
}

const qaRequest = (text = SAMPLE_TEXT, count = 4) => ({
  model: 'm',
  messages: [{ role: 'user', content: `Create ${count} question-answer pairs.\n---\n${text}\n---` }],
  response_format: { type: 'json_schema', json_schema: { name: 'qa_items', schema: { type: 'object' } } },
});

beforeAll(async () => {
  server = await startTestLlmServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.setOptions({
    faults: noFaults(),
    forcedFaults: [],
    latencyMs: 0,
    concurrency: 0,
    requestsPerSecond: 0,
    duplicates: { exact: 0, near: 0, semantic: 0 },
  });
  server.resetStats();
});

describe('test LLM server', () => {
  it('answers the same prompt with the same content, built from the prompt text', async () => {
    const first = await post('/chat/completions', qaRequest());
    const second = await post('/chat/completions', qaRequest());
    expect(first.status).toBe(200);
    const content = first.json.choices[0].message.content;
    expect(second.json.choices[0].message.content).toBe(content);
    const items = JSON.parse(content).items;
    expect(items).toHaveLength(4);
    for (const item of items) expect(SAMPLE_TEXT).toContain(item.answer);
    expect(first.json.usage.completion_tokens).toBeGreaterThan(0);
  });

  it('makes the configured share of items duplicates of earlier ones', async () => {
    server.setOptions({ duplicates: { exact: 1, near: 0, semantic: 0 } });
    const first = JSON.parse((await post('/chat/completions', qaRequest())).json.choices[0].message.content).items;
    const other = 'Glaciers shape valleys over thousands of years. Sea ice forms each winter in the Arctic Ocean and melts in summer.';
    const second = JSON.parse((await post('/chat/completions', qaRequest(other, 2))).json.choices[0].message.content).items;
    const seen = new Set(first.map((item: unknown) => JSON.stringify(item)));
    for (const item of second) expect(seen.has(JSON.stringify(item))).toBe(true);
    expect(server.stats().duplicatesInjected.exact).toBeGreaterThanOrEqual(2);

    server.setOptions({ duplicates: { exact: 0, near: 1, semantic: 0 } });
    const near = JSON.parse((await post('/chat/completions', qaRequest(other, 2))).json.choices[0].message.content).items;
    for (const item of near) expect(seen.has(JSON.stringify(item))).toBe(false);
    expect(server.stats().duplicatesInjected.near).toBe(2);
  });

  it('makes near duplicates that share most shingles and semantic ones that only share meaning', () => {
    const original = 'The Rhine is a major European river that rises in the Swiss Alps and flows into the North Sea.';
    const shingles = (text: string) => {
      const w = text.toLowerCase().match(/[a-z]+/g)!;
      return new Set(w.slice(2).map((_, i) => w.slice(i, i + 3).join(' ')));
    };
    const jaccard = (a: Set<string>, b: Set<string>) => [...a].filter((x) => b.has(x)).length / new Set([...a, ...b]).size;
    const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i], 0);

    const near = nearVariant(original);
    expect(near).not.toBe(original);
    expect(jaccard(shingles(original), shingles(near))).toBeGreaterThan(0.5);

    const semantic = semanticVariant(original);
    expect(jaccard(shingles(original), shingles(semantic))).toBeLessThan(0.1);
    expect(cosine(embedText(original, 384), embedText(semantic, 384))).toBeGreaterThan(0.85);
    expect(cosine(embedText(original, 384), embedText('Quarterly revenue grew on software sales.', 384))).toBeLessThan(0.3);
  });

  it('serves at most C requests at once and queues the rest', async () => {
    server.setOptions({ concurrency: 2, latencyMs: 100 });
    const started = Date.now();
    const statuses = await Promise.all(Array.from({ length: 6 }, () => post('/chat/completions', qaRequest()).then((r) => r.status)));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280); // three waves of two
    const stats = server.stats();
    expect(stats).toMatchObject({ peakInFlight: 2, peakOpen: 6, peakQueued: 4, inFlight: 0, open: 0 });
    expect(stats.slotBusyMs).toBeGreaterThanOrEqual(590);
    expect(stats.timeline.reduce((sum, second) => sum + second.completed, 0)).toBe(6);
  });

  it('answers 429 with Retry-After beyond C when overload is reject', async () => {
    server.setOptions({ concurrency: 1, latencyMs: 100, overload: 'reject', retryAfterSeconds: 3 });
    const [a, b] = await Promise.all([post('/chat/completions', qaRequest()), post('/chat/completions', qaRequest())]);
    expect([a.status, b.status].sort()).toEqual([200, 429]);
    expect((a.status === 429 ? a : b).headers.get('retry-after')).toBe('3');
    expect((a.status === 429 ? a : b).headers.get('retry-after-ms')).toBe('3000');
  });

  it('refuses requests beyond its requests-per-second limit until the next token', async () => {
    server.setOptions({ requestsPerSecond: 5 });
    const responses = await Promise.all(Array.from({ length: 8 }, () => post('/chat/completions', qaRequest())));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(5);
    const refused = responses.filter((r) => r.status === 429);
    expect(refused).toHaveLength(3);
    const waitMs = Number(refused[0].headers.get('retry-after-ms'));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(200);
    server.setOptions({ requestsPerSecond: 0 });
  });

  it('rejects bad requests the way OpenAI does', async () => {
    expect((await post('/chat/completions', { model: 'm', messages: [] })).status).toBe(400);
    const jsonMode = await post('/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' } });
    expect(jsonMode.json.error.message).toMatch(/must contain the word 'json'/);
    expect((await post('/embeddings', { model: 'm', input: [[1, 2]] })).status).toBe(400);
  });

  it('caps the answer at max_tokens and says so in finish_reason', async () => {
    const response = await post('/chat/completions', { ...qaRequest(), max_tokens: 10 });
    expect(response.json.choices[0].finish_reason).toBe('length');
    expect(response.json.choices[0].message.content.length).toBeLessThanOrEqual(40);
  });

  it('runs as its own process, prints its URL and obeys /_control', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'testkit/llm-server/main.ts', '--port', '0', '--latency-ms', '5', '--fault-server-error', '1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      const { url } = JSON.parse(line) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const root = url.replace(/\/v1$/, '');
      const failing = await fetch(`${url}/chat/completions`, { method: 'POST', body: JSON.stringify(qaRequest()) });
      expect(failing.status).toBe(500);
      await fetch(`${root}/_control/options`, { method: 'POST', body: JSON.stringify({ faults: { server_error: 0 } }) });
      const healthy = await fetch(`${url}/chat/completions`, { method: 'POST', body: JSON.stringify(qaRequest()) });
      expect(healthy.status).toBe(200);
      const stats = (await (await fetch(`${root}/_control/stats`)).json()) as { byStatus: Record<string, number> };
      expect(stats.byStatus).toEqual({ '200': 1, '500': 1 });
      const bad = await fetch(`${root}/_control/options`, { method: 'POST', body: JSON.stringify({ faults: { server_error: 2 } }) });
      expect(bad.status).toBe(400);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
