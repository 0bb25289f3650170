// The semantic threshold follows the embedder unless it is set: lexical n-gram vectors score same-template records
// higher than a sentence-embedding model does, so one global default was too aggressive for one of them.
import { describe, expect, it } from 'vitest';
import { resolveBuildSettings } from '../../../src/activities/build';
import { dedupeRecords } from '../../../src/domain/dedup';
import type { DatasetRecord } from '../../../src/domain/records/types';
import { loadConfig } from '../../../src/infra/config';
import { createLexicalEmbedder, defaultSemanticThreshold } from '../../../src/infra/vectors';
import { buildInputSchema } from '../../../src/workflows/build-input';

const qa = (id: string, question: string): DatasetRecord => ({ id, content: { type: 'qa', question, answer: 'It was finished in 1889.' } });
// Lexical cosine 0.894: a duplicate at 0.85, not at 0.9.
const pair = [qa('a', 'What year was the tower finished?'), qa('b', 'What year was the tower completed?')];
const semanticOnly = { exact: false, minhash: { enabled: false } };

describe('the semantic dedup threshold', () => {
  it('defaults per embedder: 0.9 for lexical vectors, 0.85 for embedding models', () => {
    expect(defaultSemanticThreshold('lexical')).toBe(0.9);
    expect(defaultSemanticThreshold('local')).toBe(0.85);
    expect(defaultSemanticThreshold('openai')).toBe(0.85);
  });

  it('reaches a build: the embedder decides when neither the config nor the build input sets it', () => {
    const input = buildInputSchema.parse({ datasetId: 'd', target: 5 });
    const counts = { chunks: 4, seeds: 0 };
    const unset = loadConfig({ env: {} });
    expect(resolveBuildSettings(unset, input, counts, 'qa', 'lexical').dedup.semantic.threshold).toBe(0.9);
    expect(resolveBuildSettings(unset, input, counts, 'qa', 'local').dedup.semantic.threshold).toBe(0.85);
    const set = loadConfig({ env: { DATACREEK_DEDUP__SEMANTIC__THRESHOLD: '0.8' } });
    expect(resolveBuildSettings(set, input, counts, 'qa', 'lexical').dedup.semantic.threshold).toBe(0.8);
    const fromInput = buildInputSchema.parse({ datasetId: 'd', target: 5, dedup: { semantic: { threshold: 0.7 } } });
    expect(resolveBuildSettings(set, fromInput, counts, 'qa', 'lexical').dedup.semantic.threshold).toBe(0.7);
  });

  it('reaches dedupeRecords: with the lexical embedder and no threshold, a 0.894 pair is kept; at 0.85 it is a duplicate', async () => {
    const lexical = createLexicalEmbedder();
    expect((await dedupeRecords(pair, semanticOnly, lexical)).duplicates).toEqual([]);
    expect((await dedupeRecords(pair, semanticOnly)).duplicates).toEqual([]);
    const strict = await dedupeRecords(pair, { ...semanticOnly, semantic: { threshold: 0.85 } }, lexical);
    expect(strict.duplicates).toEqual([expect.objectContaining({ id: 'b', duplicateOf: 'a', reason: 'semantic_duplicate' })]);
  });
});
