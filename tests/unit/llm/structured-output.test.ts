// chatJson against the test server: the three modes, repair, the single re-ask, the outcome when
// even that fails, and the json_schema → prompt fallback remembered per endpoint.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LlmClient, forgetResponseFormatFallbacks } from '../../../src/infra/llm/client';
import { clearEndpointLimiters } from '../../../src/infra/llm/endpoint-limiter';
import { parseLlmJson, toEndpointJsonSchema } from '../../../src/infra/llm/structured-output';
import type { StructuredOutputMode } from '../../../src/infra/llm/types';
import { noFaults } from '../../../testkit/llm-server/options';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server/server';
import { SAMPLE_TEXT, testEndpointConfig } from '../../../testkit/llm-server/test-endpoint';

let server: TestLlmServer;

const qaItems = z.object({ items: z.array(z.object({ question: z.string().min(1), answer: z.string().min(1) })).min(1) });
const request = {
  messages: [{ role: 'user' as const, content: `Create 3 question-answer pairs from this text.\n---\n${SAMPLE_TEXT}\n---` }],
  schema: qaItems,
  schemaName: 'qa_items',
};

beforeAll(async () => {
  server = await startTestLlmServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.setOptions({ faults: noFaults(), forcedFaults: [], rejectJsonSchema: false, duplicates: { exact: 0, near: 0, semantic: 0 } });
  server.resetStats();
  clearEndpointLimiters();
  forgetResponseFormatFallbacks();
});

describe('chatJson', () => {
  it.each<StructuredOutputMode>(['json_schema', 'json_object', 'prompt'])('returns validated JSON in %s mode', async (mode) => {
    const llm = new LlmClient(testEndpointConfig(server.url, { structuredOutput: mode }));
    const result = await llm.chatJson(request);
    expect(result).toMatchObject({ ok: true, repaired: false, reasked: false, mode });
    if (!result.ok) return;
    expect(result.value.items).toHaveLength(3);
    for (const item of result.value.items) expect(SAMPLE_TEXT).toContain(item.answer);
    expect(server.stats().byTask).toEqual({ qa_items: 1 });
  });

  it('repairs malformed JSON (prose, code fence, unquoted keys, trailing comma) without a re-ask', async () => {
    server.setOptions({ forcedFaults: ['malformed_json'] });
    const llm = new LlmClient(testEndpointConfig(server.url));
    const result = await llm.chatJson(request);
    expect(result).toMatchObject({ ok: true, repaired: true, reasked: false });
    expect(result.raw).toMatch(/^Here is the JSON/);
    expect(server.stats().requests).toBe(1);
  });

  it('recovers from a truncated answer by repair or by the re-ask', async () => {
    server.setOptions({ forcedFaults: ['truncated_json'] });
    const llm = new LlmClient(testEndpointConfig(server.url));
    const result = await llm.chatJson(request);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.items.every((item) => item.answer.length > 0)).toBe(true);
  });

  it('re-asks once with the error quoted when the answer is not JSON', async () => {
    server.setOptions({ forcedFaults: ['not_json'] });
    const llm = new LlmClient(testEndpointConfig(server.url));
    const result = await llm.chatJson(request);
    expect(result).toMatchObject({ ok: true, reasked: true });
    expect(result.usage.calls).toBe(2);
    expect(server.stats().requests).toBe(2);
  });

  it('returns a failure with the raw text and the reason when the re-ask fails too, and never throws', async () => {
    server.setOptions({ forcedFaults: ['not_json', 'not_json'] });
    const llm = new LlmClient(testEndpointConfig(server.url));
    const result = await llm.chatJson(request);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.raw).toMatch(/can't provide that/);
    expect(result.reason).toMatch(/after one re-ask/);
    expect(result.reasked).toBe(true);
    expect(server.stats().requests).toBe(2); // exactly one re-ask
  });

  it('reports a schema violation with the path of the offending field', async () => {
    const llm = new LlmClient(testEndpointConfig(server.url));
    const needsScore = z.object({ items: z.array(z.object({ question: z.string(), score: z.number() })) });
    const result = await llm.chatJson({ ...request, schema: needsScore });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/items\[0\]\.score/);
  });

  it('falls back to prompt mode when the endpoint rejects json_schema, and remembers it', async () => {
    server.setOptions({ rejectJsonSchema: true });
    const llm = new LlmClient(testEndpointConfig(server.url, { structuredOutput: 'json_schema' }));
    const first = await llm.chatJson(request);
    expect(first).toMatchObject({ ok: true, mode: 'prompt' });
    const other = new LlmClient(testEndpointConfig(server.url, { structuredOutput: 'json_schema' }));
    const second = await other.chatJson(request);
    expect(second).toMatchObject({ ok: true, mode: 'prompt' });
    expect(server.stats().byStatus).toEqual({ '200': 2, '400': 1 });
  });
});

describe('parseLlmJson', () => {
  it('reads JSON wrapped in a code fence or prose', () => {
    expect(parseLlmJson('```json\n{"a": 1}\n```')).toEqual({ ok: true, value: { a: 1 }, repaired: false });
    expect(parseLlmJson('Sure! {"a": [1, 2]} Hope this helps.')).toEqual({ ok: true, value: { a: [1, 2] }, repaired: false });
  });

  it('repairs what it can and says why it cannot', () => {
    expect(parseLlmJson("{'a': 1, b: [1, 2,],}")).toEqual({ ok: true, value: { a: 1, b: [1, 2] }, repaired: true });
    expect(parseLlmJson('{"items": [{"q": "x"}, {"q": "y')).toMatchObject({ ok: true, repaired: true });
    expect(parseLlmJson('No JSON here at all')).toMatchObject({ ok: false, reason: expect.stringMatching(/no JSON object or array/) });
    expect(parseLlmJson('   ')).toEqual({ ok: false, reason: 'the answer was empty' });
  });
});

describe('toEndpointJsonSchema', () => {
  it('drops keywords strict structured output rejects, but not a property that happens to share their name', () => {
    const schema = toEndpointJsonSchema(z.object({ minLength: z.string().min(3) }));
    expect(schema).not.toHaveProperty('$schema');
    expect(schema).toMatchObject({ properties: { minLength: { type: 'string' } }, required: ['minLength'], additionalProperties: false });
    expect(JSON.stringify(schema)).not.toContain('"minLength":3');
  });
});
