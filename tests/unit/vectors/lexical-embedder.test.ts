import { describe, expect, it } from 'vitest';
import { createLexicalEmbedder, embedLexical } from '../../../src/infra/vectors/lexical-embedder';

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('lexical embedder', () => {
  it('returns L2-normalized vectors of the requested size', () => {
    const [v] = embedLexical(['Hello world, hello again.'], 64);
    expect(v).toHaveLength(64);
    expect(Math.hypot(...v)).toBeCloseTo(1, 6);
    expect(embedLexical([''], 16)[0].every((x) => x === 0)).toBe(true);
  });

  it('puts texts sharing wording closer than unrelated texts', () => {
    const [a, b, c] = embedLexical([
      'How do I reverse a list in Python?',
      'How can I reverse a Python list?',
      'The mitochondria is the powerhouse of the cell.',
    ]);
    expect(dot(a, b)).toBeGreaterThan(0.5);
    expect(Math.abs(dot(a, c))).toBeLessThan(0.2);
  });

  it('says plainly that it is lexical, not semantic', async () => {
    const embedder = createLexicalEmbedder(128);
    expect(embedder.describe()).toMatch(/lexical, not semantic/i);
    expect((await embedder.embed(['x']))[0]).toHaveLength(128);
    expect(() => embedLexical(['x'], 4)).toThrow(/dims/);
  });
});
