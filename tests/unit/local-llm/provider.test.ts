// resolveLocalProvider without a model: configs that ask for nothing local pass through, a local embedding
// provider without an embedding model becomes the lexical fallback (which still finds planted
// near-duplicates through datacreek's own embedder), and a missing chat model is an error that names the fix.
import { describe, expect, it } from 'vitest';
import { createEmbedder } from '../../../src/activities/deps';
import { loadConfig } from '../../../src/infra/config/load';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import type { LlmClient } from '../../../src/infra/llm/client';
import { resolveLocalProvider } from '../../../src/infra/local-llm/provider';

function configWith(overrides: Record<string, unknown>): DatacreekConfig {
  return loadConfig({ env: {}, overrides });
}

const noLlm = (): LlmClient => {
  throw new Error('the lexical embedder must not call an LLM endpoint');
};

describe('resolveLocalProvider', () => {
  it('leaves a config without local providers untouched and starts nothing', async () => {
    const config = configWith({ llm: { provider: 'openai', base_url: 'http://127.0.0.1:8000/v1' }, embedding: { provider: 'openai' } });
    const provider = await resolveLocalProvider(config);
    expect(provider.config).toBe(config);
    expect(provider.server).toBeNull();
    expect(provider.notes).toEqual([]);
  });

  it('turns embedding.provider local without a model into the lexical embedder, and says so plainly', async () => {
    const config = configWith({
      llm: { provider: 'openai', base_url: 'http://127.0.0.1:8000/v1' },
      embedding: { provider: 'local', dimensions: 256, local_model_path: './models/does-not-exist.gguf' },
    });
    const provider = await resolveLocalProvider(config);
    expect(provider.server).toBeNull();
    expect(provider.config.embedding).toMatchObject({ provider: 'lexical', dimensions: 256 });
    expect(config.embedding.provider).toBe('local');
    expect(provider.notes.join('\n')).toMatch(/no local embedding model.*lexical-hash-256.*Lexical, not semantic/s);
  });

  it('finds planted near-duplicates with the fallback embedder, through the embedder activities use', async () => {
    const provider = await resolveLocalProvider(
      configWith({
        llm: { provider: 'openai', base_url: 'http://127.0.0.1:8000/v1' },
        embedding: { provider: 'local', local_model_path: './models/does-not-exist.gguf' },
      }),
    );
    const embedder = createEmbedder(provider.config, noLlm);
    expect(embedder.kind).toBe('lexical');

    const originals = [
      'The Rhine rises in the Swiss Alps and flows north to the North Sea.',
      'Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.',
      'A binary search halves the sorted range at every step until the key is found.',
      'The French Revolution began in 1789 with the storming of the Bastille.',
      'Sourdough bread rises because wild yeast and lactic bacteria ferment the dough.',
      'TCP retransmits a segment when its acknowledgement does not arrive in time.',
      'Jupiter is the largest planet of the solar system and has dozens of moons.',
      'Vaccines train the immune system to recognise a pathogen before an infection.',
    ];
    const planted: Array<[number, string]> = [
      [0, 'the Rhine rises in the Swiss Alps, and flows north into the North Sea'],
      [2, 'A binary search halves the sorted range at each step until the key is found!'],
      [5, 'TCP retransmits a segment when the acknowledgement does not arrive in time.'],
      [6, 'Jupiter is the biggest planet of the solar system and has dozens of moons.'],
    ];
    const vectors = await embedder.embed([...originals, ...planted.map(([, text]) => text)]);
    expect(vectors.every((vector) => vector.length === embedder.dimensions)).toBe(true);
    const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i], 0);

    planted.forEach(([originalIndex], plantedIndex) => {
      const duplicate = vectors[originals.length + plantedIndex];
      const similarities = originals.map((_, i) => cosine(duplicate, vectors[i]));
      const nearest = similarities.indexOf(Math.max(...similarities));
      expect(nearest).toBe(originalIndex);
      expect(similarities[originalIndex]).toBeGreaterThan(0.8);
    });
    // Distinct texts stay far apart, so a dedup threshold separates the two groups.
    for (let i = 0; i < originals.length; i++) {
      for (let j = i + 1; j < originals.length; j++) expect(cosine(vectors[i], vectors[j])).toBeLessThan(0.5);
    }
  });

  it('names the fix when the local chat model file is missing', async () => {
    const config = configWith({ llm: { provider: 'local', local_model_path: './models/does-not-exist.gguf' } });
    await expect(resolveLocalProvider(config, { searchRoots: ['/tmp'] })).rejects.toThrow(
      /llm\.local_model_path: no local model file: \.\/models\/does-not-exist\.gguf.*scripts\/fetch-local-model\.sh/,
    );
  });
});
