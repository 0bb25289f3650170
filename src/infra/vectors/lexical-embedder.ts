// A dependency-free fallback embedder for when no embedding model or endpoint is configured, and for
// tests: feature hashing of word unigrams, word bigrams and character trigrams into a fixed number of
// dimensions, L2-normalized. It measures shared wording, not meaning; semantic dedup run with it is
// really a fuzzy lexical dedup, and `describe()` says so wherever the choice is reported.
import { fmix32, hashString32 } from '../common';
import type { Embedder } from './embedder';

export const DEFAULT_LEXICAL_DIMS = 384;

/** Relative weights of the feature families: words carry most signal, trigrams add typo tolerance. */
const WEIGHTS = { unigram: 1, bigram: 0.7, charTrigram: 0.25 } as const;
const SEEDS = { unigram: 0x11, bigram: 0x22, charTrigram: 0x33 } as const;
const WORD = /[\p{L}\p{N}]+/gu;

/** Lexical vectors for `texts`: each L2-normalized, `dims` long (an all-zero vector for a text with no words). */
export function embedLexical(texts: string[], dims: number = DEFAULT_LEXICAL_DIMS): number[][] {
  if (!Number.isInteger(dims) || dims < 8) {
    throw new Error(`Lexical embedding dims must be an integer ≥ 8, got ${dims}`);
  }
  return texts.map((text) => Array.from(embedOne(text, dims)));
}

export function embedLexicalOne(text: string, dims: number = DEFAULT_LEXICAL_DIMS): Float32Array {
  return embedOne(text, dims);
}

export function createLexicalEmbedder(dims: number = DEFAULT_LEXICAL_DIMS): Embedder {
  return {
    kind: 'lexical',
    dimensions: dims,
    describe: () =>
      `lexical-hash-${dims}: feature-hashed word unigrams, word bigrams and character trigrams (${dims} dims). ` +
      'Lexical, not semantic: it finds texts that share wording, not texts that mean the same in other words. ' +
      'Configure an embedding model for semantic dedup.',
    embed: async (texts) => embedLexical(texts, dims),
  };
}

function embedOne(text: string, dims: number): Float32Array {
  const vector = new Float32Array(dims);
  const words = text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
  for (let i = 0; i < words.length; i++) {
    addFeature(vector, words[i], SEEDS.unigram, WEIGHTS.unigram);
    if (i > 0) addFeature(vector, `${words[i - 1]} ${words[i]}`, SEEDS.bigram, WEIGHTS.bigram);
    const padded = `#${words[i]}#`;
    for (let j = 0; j + 3 <= padded.length; j++) addFeature(vector, padded.slice(j, j + 3), SEEDS.charTrigram, WEIGHTS.charTrigram);
  }
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    // Sublinear term frequency: a word repeated ten times should not drown the rest of the text.
    vector[i] = Math.sign(vector[i]) * Math.log1p(Math.abs(vector[i]));
    norm += vector[i] * vector[i];
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < dims; i++) vector[i] /= norm;
  return vector;
}

/** Signed feature hashing: the sign bit keeps unrelated texts near-orthogonal instead of all-positive. */
function addFeature(vector: Float32Array, feature: string, seed: number, weight: number): void {
  const hash = hashString32(feature, seed);
  const index = hash % vector.length;
  const sign = fmix32(hash ^ 0x5bd1e995) & 1 ? 1 : -1;
  vector[index] += sign * weight;
}
