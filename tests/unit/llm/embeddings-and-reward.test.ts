// Embeddings (float and base64, batched, through the limiter) and reward-model parsing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LlmClient } from '../../../src/infra/llm/client';
import { clearEndpointLimiters } from '../../../src/infra/llm/endpoint-limiter';
import { decodeBase64Embedding, encodeBase64Embedding } from '../../../src/infra/llm/embedding-encoding';
import { rewardResponseFormat } from '../../../src/domain/generation/reward-scoring';
import { combineRewardScore, NEMOTRON_REWARD_WEIGHTS, parseRewardAttributes } from '../../../src/infra/llm/reward';
import { toGrammarSchema } from '../../../src/infra/local-llm/json-schema-grammar';
import { noFaults } from '../../../testkit/llm-server/options';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server/server';
import { testEndpointConfig } from '../../../testkit/llm-server/test-endpoint';

let server: TestLlmServer;

beforeAll(async () => {
  server = await startTestLlmServer({ embeddingDimensions: 64 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.setOptions({ faults: noFaults(), forcedFaults: [] });
  server.resetStats();
  clearEndpointLimiters();
});

const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i], 0);

describe('LlmClient.embed', () => {
  const texts = [
    'The Rhine flows from the Swiss Alps to the North Sea.',
    'From the Swiss Alps the Rhine flows to the North Sea.',
    'Quarterly revenue rose because of strong software sales.',
    'Barges carry grain on the river.',
    'Castles line the Rhine Gorge.',
    'A recipe for bread needs flour, water and yeast.',
    'Tax law changed in 2021.',
  ];

  it('returns the same vectors whether the wire format is float or base64', async () => {
    const llm = new LlmClient(testEndpointConfig(server.url, { model: 'datacreek-test-embedding' }));
    const floats = await llm.embed(texts, { batchSize: 3 });
    const base64 = await llm.embed(texts, { batchSize: 3, encodingFormat: 'base64' });
    expect(floats.vectors).toHaveLength(texts.length);
    expect(floats.vectors[0]).toHaveLength(64);
    base64.vectors.forEach((vector, i) => vector.forEach((value, j) => expect(value).toBeCloseTo(floats.vectors[i][j], 6)));
    expect(server.stats().byEndpoint.embeddings).toBe(6); // 3 batches per call
    expect(floats.usage.calls).toBe(3);
    expect(llm.usage().byCallSite.embed.calls).toBe(6);
  });

  it('puts texts with the same words closer than unrelated texts', async () => {
    const llm = new LlmClient(testEndpointConfig(server.url));
    const { vectors } = await llm.embed(texts);
    expect(cosine(vectors[0], vectors[0])).toBeCloseTo(1, 5);
    expect(cosine(vectors[0], vectors[1])).toBeGreaterThan(0.8);
    expect(cosine(vectors[0], vectors[2])).toBeLessThan(0.4);
  });

  it('asks for the requested dimensions and retries a throttled batch', async () => {
    server.setOptions({ forcedFaults: ['rate_limit'], retryAfterSeconds: 0 });
    const llm = new LlmClient(testEndpointConfig(server.url));
    const { vectors } = await llm.embed(['one text'], { dimensions: 16 });
    expect(vectors[0]).toHaveLength(16);
    expect(llm.endpointLimiter().stats().throttled).toBe(1);
  });

  it('rejects an impossible batch size with the allowed range', async () => {
    const llm = new LlmClient(testEndpointConfig(server.url));
    await expect(llm.embed(['x'], { batchSize: 0 })).rejects.toThrow(/batchSize must be an integer from 1 to 2048/);
  });
});

describe('base64 embedding encoding', () => {
  it('round-trips float32 little-endian values', () => {
    const vector = [0.5, -1.25, 3.0000001, 0];
    expect(decodeBase64Embedding(encodeBase64Embedding(vector))).toEqual(vector.map((v) => Math.fround(v)));
    expect(() => decodeBase64Embedding('AAA=')).toThrow(/whole float32 values/);
  });
});

describe('reward attributes', () => {
  it('parses Nemotron-style content', () => {
    expect(parseRewardAttributes('helpfulness:3.9,correctness:4.0,coherence:3.8,complexity:1.2,verbosity:1.5')).toEqual({
      helpfulness: 3.9,
      correctness: 4,
      coherence: 3.8,
      complexity: 1.2,
      verbosity: 1.5,
    });
    expect(parseRewardAttributes('reward:-5.25')).toEqual({ reward: -5.25 });
    expect(parseRewardAttributes('Helpfulness = 2\nCorrectness=3.5e0')).toEqual({ helpfulness: 2, correctness: 3.5 });
  });

  it('parses the JSON object a structured-output endpoint answers, and asks for exactly the weighted attributes', () => {
    expect(parseRewardAttributes('{"helpfulness": 3.5, "Correctness": 4, "note": "fine"}')).toEqual({ helpfulness: 3.5, correctness: 4 });
    expect(parseRewardAttributes('{not json helpfulness:2}')).toEqual({ helpfulness: 2 });
    const format = rewardResponseFormat(['helpfulness', 'correctness']) as {
      type: string;
      json_schema: { schema: { required: string[]; properties: object } };
    };
    expect(format.type).toBe('json_schema');
    expect(format.json_schema.schema.required).toEqual(['helpfulness', 'correctness']);
    expect(toGrammarSchema(format.json_schema.schema)).toMatchObject({ ok: true });
  });

  it('parses logprobs tokens whose logprob is the score, as an array or a logprobs object', () => {
    const tokens = [
      { token: 'helpfulness', logprob: 3.1 },
      { token: ',', logprob: -0.1 },
      { token: ' correctness', logprob: 2.5 },
    ];
    expect(parseRewardAttributes(tokens)).toEqual({ helpfulness: 3.1, correctness: 2.5 });
    expect(parseRewardAttributes({ content: tokens })).toEqual({ helpfulness: 3.1, correctness: 2.5 });
    expect(parseRewardAttributes(null)).toEqual({});
  });

  it('combines with the Nemotron weights by default, or as a weighted mean', () => {
    const attributes = { helpfulness: 4, correctness: 4, coherence: 4, complexity: 2, verbosity: 1 };
    const expected = 0.3 * 4 + 0.74 * 4 + 0.46 * 4 + 0.47 * 2 - 0.33 * 1;
    expect(combineRewardScore(attributes)).toEqual({ ok: true, score: expect.closeTo(expected, 10) });
    const mean = combineRewardScore(attributes, { weights: { helpfulness: 1, correctness: 3 }, combine: 'weighted_mean' });
    expect(mean).toEqual({ ok: true, score: 4 });
    expect(Object.keys(NEMOTRON_REWARD_WEIGHTS)).toHaveLength(5);
  });

  it('refuses to score when a weighted attribute is missing, naming it', () => {
    const result = combineRewardScore({ helpfulness: 3 }, { weights: { helpfulness: 1, correctness: 1 }, combine: 'weighted_sum' });
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/did not return correctness \(it returned helpfulness\)/) });
  });
});
