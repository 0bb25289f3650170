// Every embedding provider gives the one Embedder interface: what kind it is, its vector size, and a sentence
// saying what its vectors capture (the lexical one says it is lexical, a model says it compares meaning).
import { describe, expect, it } from 'vitest';
import { createEmbedder } from '../../../src/activities/deps';
import { loadConfig } from '../../../src/infra/config/load';
import type { LlmClient } from '../../../src/infra/llm/client';
import type { Embedder } from '../../../src/infra/vectors/embedder';

const noLlm = (): LlmClient => {
  throw new Error('creating an embedder must not call an LLM endpoint');
};

const embedderFor = (embedding: Record<string, unknown>): Embedder =>
  createEmbedder(loadConfig({ env: {}, overrides: { llm: { provider: 'openai', base_url: 'http://127.0.0.1:9/v1' }, embedding } }), noLlm);

describe('createEmbedder', () => {
  it('describes an endpoint model by name and size', () => {
    const embedder = embedderFor({ provider: 'openai', model: 'my-embedder', dimensions: 512 });
    expect(embedder).toMatchObject({ kind: 'openai', dimensions: 512 });
    expect(embedder.describe()).toMatch(/my-embedder.*512 dims.*meaning/);
  });

  it('gives the lexical embedder, which says it is not semantic, for lexical and for local without a model file', async () => {
    for (const embedding of [
      { provider: 'lexical', dimensions: 64 },
      { provider: 'local', dimensions: 64, local_model_path: './models/does-not-exist.gguf' },
    ]) {
      const embedder = embedderFor(embedding);
      expect(embedder).toMatchObject({ kind: 'lexical', dimensions: 64 });
      expect(embedder.describe()).toMatch(/lexical, not semantic/i);
      expect((await embedder.embed(['a few words']))[0]).toHaveLength(64);
    }
  });
});
