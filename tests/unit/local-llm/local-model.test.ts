// The local provider end to end on the real default model (SmolLM2-135M-Instruct, Q4_1): the config
// resolution starts the in-process server, and datacreek's own LlmClient and generator talk to it over HTTP.
// Needs models/SmolLM2-135M-Instruct.Q4_1.gguf (scripts/fetch-local-model.sh). Skipped without it on a
// developer machine; in CI (CI set) a missing model fails the run.
import { existsSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { llmEndpointConfig } from '../../../src/activities/deps';
import { loadConfig, PROJECT_ROOT } from '../../../src/infra/config/load';
import { generateFromText } from '../../../src/domain/generation/generate-from-text';
import { loadPromptTemplates } from '../../../src/domain/generation/prompts';
import { LlmClient, LlmRequestError } from '../../../src/infra/llm/client';
import { clearEndpointLimiters } from '../../../src/infra/llm/endpoint-limiter';
import { decodeBase64Embedding } from '../../../src/infra/llm/embedding-encoding';
import { DEFAULT_LOCAL_MODEL_FILE } from '../../../src/infra/local-llm/model-file';
import { resolveLocalProvider, type LocalProvider } from '../../../src/infra/local-llm/provider';

const MODEL_PATH = path.join(PROJECT_ROOT, 'models', DEFAULT_LOCAL_MODEL_FILE);
const modelPresent = existsSync(MODEL_PATH);
const TEXT =
  'The Rhine is a river that begins in the Swiss Alps and flows north through Germany to the North Sea in the Netherlands. ' +
  'It is about 1,230 kilometres long and has been an important trade route since Roman times.';

let provider: LocalProvider;
let llm: LlmClient;

describe.skipIf(!modelPresent && !process.env.CI)('local provider on the default model', () => {
  beforeAll(async () => {
    if (!modelPresent) {
      throw new Error(`CI needs the local model at ${MODEL_PATH}: the set-up step must run \`bash scripts/fetch-local-model.sh\``);
    }
    clearEndpointLimiters();
    const config = loadConfig({
      env: {},
      overrides: { llm: { provider: 'local', local_model_path: MODEL_PATH, timeout_ms: 120_000, retries: 0 }, embedding: { provider: 'local' } },
    });
    // The chat model doubles as the embedding model here: no separate embedding GGUF ships with datacreek.
    provider = await resolveLocalProvider(config, { embeddingModelPath: MODEL_PATH, gpu: false, contextSize: 2048 });
    llm = new LlmClient(llmEndpointConfig(provider.config));
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('points the config at the in-process server', () => {
    expect(provider.server).not.toBeNull();
    expect(provider.config.llm).toMatchObject({
      provider: 'openai',
      base_url: provider.server!.baseURL,
      model: 'SmolLM2-135M-Instruct.Q4_1',
      concurrency: 2,
      structured_output: 'json_schema',
    });
    expect(provider.config.embedding).toMatchObject({ provider: 'openai', base_url: provider.server!.baseURL, dimensions: 576 });
    expect(provider.notes.join('\n')).toMatch(/llm\.provider "local": SmolLM2-135M-Instruct\.Q4_1/);
  });

  it('generates QA pairs that are valid JSON of the schema by construction', async () => {
    const pairs = z.object({
      items: z
        .array(z.object({ question: z.string().min(1).max(160), answer: z.string().min(1).max(160) }))
        .min(1)
        .max(3),
    });
    const started = performance.now();
    const answer = await llm.chatJson({
      messages: [{ role: 'user', content: `Write 3 question and answer pairs about this text.\n\nText: ${TEXT}` }],
      schema: pairs,
      schemaName: 'qa_items',
      // Bounds the grammar enforces, so the answer always closes well inside max_tokens.
      jsonSchema: {
        type: 'object',
        properties: {
          items: {
            type: 'array',
            minItems: 1,
            maxItems: 3,
            items: {
              type: 'object',
              properties: { question: { type: 'string', minLength: 1, maxLength: 160 }, answer: { type: 'string', minLength: 1, maxLength: 160 } },
              required: ['question', 'answer'],
            },
          },
        },
        required: ['items'],
      },
      temperature: 0.3,
      seed: 7,
      maxTokens: 600,
    });
    const seconds = (performance.now() - started) / 1000;
    if (!answer.ok) throw new Error(`expected valid JSON, got: ${answer.reason}\n${answer.raw}`);
    expect(answer).toMatchObject({ repaired: false, reasked: false, finishReason: 'stop' });
    expect(JSON.parse(answer.raw)).toEqual(answer.value);
    expect(answer.value.items.length).toBeGreaterThanOrEqual(1);
    expect(answer.usage.completionTokens).toBeGreaterThan(10);
    console.info(
      `[local-llm] QA: ${answer.value.items.length} pairs, ${answer.usage.promptTokens} prompt + ${answer.usage.completionTokens} completion tokens ` +
        `in ${seconds.toFixed(1)} s (${(answer.usage.completionTokens / seconds).toFixed(1)} tokens/s end to end)`,
    );
  }, 90_000);

  it('judges with a 1–10 integer score the grammar guarantees', async () => {
    const verdict = z.object({ rating: z.number().int().min(1).max(10), reasoning: z.string().max(200) });
    const answer = await llm.chatJson({
      messages: [
        {
          role: 'user',
          content: `Rate from 1 to 10 how well the answer fits the question and the text.\nText: ${TEXT}\nQ: How long is the Rhine?\nA: About 1,230 kilometres.`,
        },
      ],
      schema: verdict,
      schemaName: 'judge_verdict',
      jsonSchema: {
        type: 'object',
        properties: { rating: { type: 'integer', minimum: 1, maximum: 10 }, reasoning: { type: 'string', maxLength: 200 } },
        required: ['rating', 'reasoning'],
      },
      temperature: 0,
      maxTokens: 150,
    });
    if (!answer.ok) throw new Error(`expected a verdict, got: ${answer.reason}\n${answer.raw}`);
    expect(answer).toMatchObject({ repaired: false, reasked: false, finishReason: 'stop' });
    expect(Number.isInteger(answer.value.rating)).toBe(true);
    expect(answer.value.rating).toBeGreaterThanOrEqual(1);
    expect(answer.value.rating).toBeLessThanOrEqual(10);
  }, 60_000);

  it('runs datacreek’s QA generator with the default prompts and gets a parseable answer', async () => {
    const result = await generateFromText(llm, { type: 'qa', text: TEXT, numItems: 2, prompts: loadPromptTemplates(), maxTokens: 300, temperature: 0.2 });
    // A 135M model may write weak items (which become failures with reasons), but never unparseable JSON.
    expect(result.usage.calls).toBe(1);
    expect(result.items.length + result.failures.length).toBeGreaterThanOrEqual(1);
    for (const failure of result.failures) expect(failure.reason).not.toMatch(/not valid JSON|no JSON|unusable|empty/);
  }, 90_000);

  it('serves parallel requests on two sequences and queues the rest', async () => {
    const started = performance.now();
    const answers = await Promise.all(
      ['rivers', 'mountains', 'oceans', 'forests'].map((topic) =>
        llm.chat({ messages: [{ role: 'user', content: `Write one sentence about ${topic}.` }], maxTokens: 32, temperature: 0 }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const completionTokens = answers.reduce((sum, answer) => sum + answer.usage.completionTokens, 0);
    expect(answers.every((answer) => answer.content.trim().length > 0)).toBe(true);
    expect(answers.every((answer) => answer.usage.completionTokens <= 32)).toBe(true);
    console.info(
      `[local-llm] 4 requests on 2 sequences: ${completionTokens} tokens in ${seconds.toFixed(1)} s (${(completionTokens / seconds).toFixed(1)} tokens/s aggregate)`,
    );
  }, 90_000);

  it('embeds through /v1/embeddings, float and base64, normalized and in order', async () => {
    const texts = ['The cat sat on the mat.', 'A cat was sitting on the mat.', 'Quarterly revenue rose by ten percent.'];
    const { vectors } = await llm.embed(texts, { model: provider.config.embedding.model, dimensions: 576 });
    expect(vectors.map((vector) => vector.length)).toEqual([576, 576, 576]);
    const dot = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i], 0);
    expect(dot(vectors[0], vectors[0])).toBeCloseTo(1, 4);
    expect(dot(vectors[0], vectors[1])).toBeGreaterThan(dot(vectors[0], vectors[2]));

    const sdk = new OpenAI({ baseURL: provider.server!.baseURL, apiKey: 'not-needed', maxRetries: 0 });
    const raw = await sdk.embeddings.create({ model: provider.config.embedding.model, input: texts[2], encoding_format: 'base64' });
    const decoded = decodeBase64Embedding(raw.data[0].embedding as unknown as string);
    decoded.forEach((value, i) => expect(value).toBeCloseTo(vectors[2][i], 5));
  }, 60_000);

  it('refuses what it cannot do with a 400 that says why, without retrying', async () => {
    const tooLong = 'word '.repeat(3000);
    const error = await llm.chat({ messages: [{ role: 'user', content: tooLong }], maxTokens: 8 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LlmRequestError);
    expect((error as LlmRequestError).status).toBe(400);
    expect((error as Error).message).toMatch(/prompt is \d+ tokens, more than the local model's context of 2048 tokens/);

    const response = await fetch(`${provider.server!.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/streaming is not supported/);
  }, 60_000);

  it('stops generating for a client that went away and frees its sequence', async () => {
    const controller = new AbortController();
    const abandoned = llm
      .chat({ messages: [{ role: 'user', content: 'Write a long story about a river.' }], maxTokens: 2000, temperature: 0.8, signal: controller.signal })
      .catch((error: unknown) => error);
    setTimeout(() => controller.abort(new Error('caller gave up')), 500);
    expect(await abandoned).toBeInstanceOf(Error);
    // Both sequences are free again: two short requests finish without waiting for 2000 abandoned tokens.
    const started = performance.now();
    await Promise.all([1, 2].map(() => llm.chat({ messages: [{ role: 'user', content: 'Say yes.' }], maxTokens: 4, temperature: 0 })));
    expect(performance.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
