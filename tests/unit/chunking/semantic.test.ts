import { describe, expect, it } from 'vitest';
import { chunkDocument, cosineSimilarity } from '../../../src/domain/chunking';
import type { ParsedDocument } from '../../../src/domain/parsers';

// A toy, deterministic embedding: bag-of-words counts over a small vocabulary, with plural "s"
// stripped so "ducks" and "duck" count as one word.
const VOCABULARY = ['duck', 'swim', 'pond', 'dive', 'water', 'food', 'nest', 'compiler', 'program', 'syntax', 'code', 'parser', 'tree', 'type', 'error'];
async function bagOfWords(texts: string[]): Promise<number[][]> {
  return texts.map((text) => {
    const words = (text.toLowerCase().match(/[a-z]+/g) ?? []).map((word) => word.replace(/s$/, ''));
    return VOCABULARY.map((term) => words.filter((word) => word === term).length);
  });
}

const DUCK_SENTENCES = [
  'Ducks swim on the pond and dive under the water.',
  'A duck dives under the water to find food in the pond.',
  'Ducks find food on the pond and swim back to the nest.',
  'A duck keeps its nest close to the pond and the water.',
  'Ducks swim to the nest when the water of the pond gets cold.',
];
const COMPILER_SENTENCES = [
  'A compiler reads the program and checks the syntax of the code.',
  'The parser of the compiler turns the code into a syntax tree.',
  'The compiler checks the types in the syntax tree of the program.',
  'A compiler reports errors in the program code and its types.',
];

function doc(text: string): ParsedDocument {
  return { fileName: 'topics.txt', format: 'text', text, segments: [{ start: 0, end: text.length }], metadata: {} };
}

describe('semantic chunking', () => {
  it('splits where the topic changes', async () => {
    const text = [...DUCK_SENTENCES, ...COMPILER_SENTENCES].join(' ');
    const chunks = await chunkDocument(doc(text), {
      strategy: 'semantic',
      chunkSize: 4000,
      overlap: 0,
      wholeDocumentBelow: 0,
      similarityDrop: 0.2,
      embed: bagOfWords,
    });
    expect(chunks.map((chunk) => chunk.text)).toEqual([DUCK_SENTENCES.join(' '), COMPILER_SENTENCES.join(' ')]);
    for (const chunk of chunks) expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text);
  });

  it('does not split a single-topic text, but still honours chunkSize', async () => {
    const text = DUCK_SENTENCES.join(' ');
    const options = { strategy: 'semantic' as const, overlap: 0, wholeDocumentBelow: 0, similarityDrop: 0.2, embed: bagOfWords };
    expect(await chunkDocument(doc(text), { ...options, chunkSize: 4000 })).toHaveLength(1);
    const small = await chunkDocument(doc(text), { ...options, chunkSize: 100 });
    expect(small.length).toBeGreaterThanOrEqual(3);
    for (const chunk of small) expect(chunk.text.length).toBeLessThanOrEqual(100);
  });

  it('sends sentences to embed in batches and checks what comes back', async () => {
    const batches: number[] = [];
    const text = [...DUCK_SENTENCES, ...COMPILER_SENTENCES].join(' ');
    await chunkDocument(doc(text), {
      strategy: 'semantic',
      chunkSize: 4000,
      overlap: 0,
      wholeDocumentBelow: 0,
      embedBatchSize: 4,
      embed: async (texts) => {
        batches.push(texts.length);
        return bagOfWords(texts);
      },
    });
    expect(batches).toEqual([4, 4, 1]);
    await expect(chunkDocument(doc(text), { strategy: 'semantic', chunkSize: 4000, overlap: 0, wholeDocumentBelow: 0, embed: async () => [] })).rejects.toThrow(
      /one vector per text/,
    );
  });

  it('computes cosine similarity', () => {
    expect(cosineSimilarity([1, 0], [1, 0])).toBeCloseTo(1);
    expect(cosineSimilarity([1, 0], [0, 1])).toBeCloseTo(0);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
  });
});
