import { describe, expect, it } from 'vitest';
import { SemanticIndex } from '../../../src/domain/dedup/semantic-index';
import { seededGaussian } from '../../../src/infra/common/seeded-random';

const dims = 128;
const gaussian = seededGaussian(3);
function unitRandom(): Float32Array {
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) norm += (v[i] = gaussian()) ** 2;
  for (let i = 0; i < dims; i++) v[i] /= Math.sqrt(norm);
  return v;
}
/** Embedding-like vectors: a shared direction, a cluster direction and noise. */
const common = unitRandom();
const clusters = Array.from({ length: 50 }, unitRandom);
function clustered(c: number): Float32Array {
  const noise = unitRandom();
  return Float32Array.from({ length: dims }, (_, i) => 0.4 * common[i] + 0.63 * clusters[c][i] + 0.67 * noise[i]);
}
function atCosine(v: Float32Array, cosine: number): Float32Array {
  const norm = Math.hypot(...v);
  const u = v.map((x) => x / norm);
  const r = unitRandom();
  const along = r.reduce((s, x, i) => s + x * u[i], 0);
  const orthogonal = r.map((x, i) => x - along * u[i]);
  const oNorm = Math.hypot(...orthogonal);
  const sine = Math.sqrt(1 - cosine * cosine);
  return u.map((x, i) => cosine * x + (sine * orthogonal[i]) / oNorm);
}
function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((s, x, i) => s + x * b[i], 0) / (Math.hypot(...a) * Math.hypot(...b));
}

describe('SemanticIndex', () => {
  const items = Array.from({ length: 3000 }, (_, i) => clustered(i % clusters.length));
  const index = new SemanticIndex({ dims });
  for (const v of items) index.add(index.prepare(v));

  it('finds planted duplicates (cosine 0.91–0.99) through the hash tables with recall ≥ 0.95', () => {
    let found = 0;
    for (let i = 0; i < 200; i++) {
      const source = (i * 13) % items.length;
      const match = index.nearest(index.prepare(atCosine(items[source], 0.91 + 0.08 * (i / 200))), 0.9);
      if (match?.item === source) found++;
    }
    expect(found / 200).toBeGreaterThanOrEqual(0.95);
  });

  it('does not flag fresh vectors of the same clusters, or near misses below the threshold', () => {
    for (let i = 0; i < 100; i++) expect(index.nearest(index.prepare(clustered(i % clusters.length)), 0.9)).toBeNull();
    for (let i = 0; i < 100; i++) expect(index.nearest(index.prepare(atCosine(items[i], 0.8)), 0.9)).toBeNull();
  });

  it('reports the exact cosine of the match', () => {
    const query = atCosine(items[42], 0.95);
    const match = index.nearest(index.prepare(query), 0.9)!;
    expect(match.item).toBe(42);
    expect(match.similarity).toBeCloseTo(cosine(query, items[42]), 5);
  });

  it('agrees with the exact scan on small indexes and after truncation', () => {
    const small = new SemanticIndex({ dims });
    small.add(small.prepare(items[0]));
    small.add(small.prepare(items[1]));
    expect(small.nearest(small.prepare(items[1]), 0.99)?.item).toBe(1);
    small.truncate(1);
    expect(small.size).toBe(1);
    expect(small.nearest(small.prepare(items[1]), 0.99)).toBeNull();
  });

  it('rejects vectors of another dimension with a message saying why', () => {
    expect(() => index.prepare(new Float32Array(dims + 1))).toThrow(/same model/);
  });
});
