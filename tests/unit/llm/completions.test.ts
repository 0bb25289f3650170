// Legacy /v1/completions and `n` > 1, through the LLM client against the project's test server: what
// InstructLab's LLMBlock needs from an endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmClient, LlmRequestError } from '../../../src/infra/llm';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server';

let server: TestLlmServer;
let client: LlmClient;

beforeAll(async () => {
  server = await startTestLlmServer();
  client = new LlmClient({
    baseURL: server.url,
    model: 'datacreek-test-llm',
    timeoutMs: 5_000,
    maxRetries: 2,
    maxConcurrency: 4,
    structuredOutput: 'json_schema',
  });
});
afterAll(async () => {
  await server.close();
});

describe('/v1/completions', () => {
  it('answers n different choices in one request, with usage', async () => {
    server.resetStats();
    const prompt =
      '<|user|>\nWrite about tides. Return the answer between [Start of Answer] and [End of Answer] tags.\n[Start of Document]\nTides rise and fall twice a day because of the Moon.\n[End of Document]\n<|assistant|>';
    const result = await client.complete({ prompt, n: 3, maxTokens: 200 });
    expect(result.texts).toHaveLength(3);
    expect(new Set(result.texts).size).toBe(3);
    for (const text of result.texts) expect(text).toMatch(/^\[Start of Answer\][\s\S]*\[End of Answer\]$/);
    expect(result.usage.calls).toBe(1);
    expect(result.usage.promptTokens).toBeGreaterThan(0);
    expect(server.stats().requests).toBe(1);
  });

  it('a refused prompt is a non-retryable 400, asked once', async () => {
    server.setOptions({ refusePromptsContaining: 'TOO-LONG' });
    server.resetStats();
    try {
      const error = await client.complete({ prompt: 'this prompt is TOO-LONG' }).catch((e) => e);
      expect(error).toBeInstanceOf(LlmRequestError);
      expect(error.status).toBe(400);
      expect(error.retryableLater).toBe(false);
      expect(error.message).toContain('maximum context length');
      expect(server.stats().requests).toBe(1);
    } finally {
      server.setOptions({ refusePromptsContaining: '' });
    }
  });
});

describe('chat completions with n > 1', () => {
  it('returns every choice', async () => {
    const result = await client.chat({ messages: [{ role: 'user', content: 'Tell me one fact about the sea.' }], n: 2 });
    expect(result.choices).toHaveLength(2);
    expect(result.choices[0]).not.toBe(result.choices[1]);
    expect(result.content).toBe(result.choices[0]);
  });
});
