// Deterministic embeddings without a model: a feature-hashed bag of words (and word bigrams),
// L2-normalized. Texts that share words are close in cosine, reordered texts stay close, unrelated
// texts are near-orthogonal: enough for semantic dedup and retrieval to have something real to do.
import { hash32, words } from './text-tools';

export function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const tokens = words(text);
  const features = [...tokens, ...tokens.slice(1).map((word, i) => `${tokens[i]} ${word}`)];
  for (const feature of features) {
    const h = hash32(feature);
    // Bigrams weigh less than words so word order changes the vector only a little.
    const weight = feature.includes(' ') ? 0.3 : 1;
    // The sign hash keeps collisions from adding up in one direction.
    vector[h % dimensions] += (hash32(feature, 7) & 1 ? 1 : -1) * weight;
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  if (norm === 0) {
    vector[0] = 1; // an empty text still gets a unit vector, so cosine stays defined
    return vector;
  }
  return vector.map((value) => value / norm);
}

export function encodeFloat32Base64(vector: readonly number[]): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => buffer.writeFloatLE(value, i * 4));
  return buffer.toString('base64');
}
