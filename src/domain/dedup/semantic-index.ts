// In-memory cosine-similarity index for semantic dedup: "is there an already kept vector with
// cosine ≥ t?" for thousands of queries a second against ~100k 384-dim vectors on one core.
//
// Why this shape (measured in bench/dedup.ts): an exact scan costs 100k × 384 multiply-adds per query
// (~80 ms in JS here), LanceDB's flat search ~40 ms per query at 20k rows and its multi-vector query no
// faster per vector. Dedup needs only neighbours at high similarity, which random-hyperplane LSH finds
// cheaply:
//   - every vector gets a 128-bit sign sketch from a fast structured random rotation (three rounds of
//     random sign flips + a Walsh–Hadamard transform: ~15k additions instead of 49k multiply-adds);
//   - vectors are centred on the indexed set's mean before sketching, because real embeddings share a
//     common direction that makes most sketch bits constant and buckets huge;
//   - each of `tables` hash tables keys on `bitsPerKey` sketch bits, probing also the buckets with the
//     least certain bits flipped; bucket mates are screened by sketch Hamming distance, and survivors get
//     an exact cosine, so the answer's similarity is always exact.
// Below `bruteForceBelow` items queries compare exactly against everything (faster there, and exact).
import { BucketTables } from './bucket-tables';
import { VisitMarks } from './visit-marks';
import { seededRandom } from '../../infra/common';

export interface SemanticIndexOptions {
  dims: number;
  /** Number of LSH tables; more tables raise recall and cost. */
  tables?: number;
  /** Sketch bits per table key; more bits shrink buckets (fewer false candidates) and lower recall. */
  bitsPerKey?: number;
  /** Extra probes per table, each flipping one of the least certain key bits. */
  extraProbes?: number;
  /** Below this many items queries scan every item exactly and no hash tables are kept. */
  bruteForceBelow?: number;
  /** Re-centre and rebuild the tables when the index has grown by this factor since the last build. */
  rebuildGrowthFactor?: number;
  seed?: number;
  expectedItems?: number;
}

export interface SemanticMatch {
  /** Insertion number of the matching item (0-based). */
  item: number;
  similarity: number;
}

/** A query vector prepared once (normalized, sketched) for `nearest` and then `add`. */
export interface PreparedVector {
  unit: Float32Array;
  /** Projections and sketch are valid for the table generation they were computed under. */
  generation: number;
  projections: Float32Array;
  sketch: Uint32Array;
  centeredNorm: number;
}

const SKETCH_BITS = 128;
const SKETCH_WORDS = SKETCH_BITS / 32;
const ROTATION_ROUNDS = 3;

// Measured at 100k × 384 (bench/dedup.ts data): 40 × 18 bits + 2 probes finds 98.8% of pairs at cosine
// 0.905–0.995 in ~0.08 ms per query; 40 × 16 bits + 1 probe finds 99.3% in ~0.12 ms.
const DEFAULTS = {
  tables: 40,
  bitsPerKey: 18,
  extraProbes: 2,
  bruteForceBelow: 1024,
  rebuildGrowthFactor: 8,
  seed: 0x5e3a_711c,
  expectedItems: 1024,
};

export class SemanticIndex {
  readonly dims: number;
  readonly tableCount: number;
  readonly bitsPerKey: number;
  private readonly extraProbes: number;
  private readonly bruteForceBelow: number;
  private readonly rebuildGrowthFactor: number;
  /** Walsh–Hadamard size: dims rounded up to a power of two. */
  private readonly paddedDims: number;
  /** ROTATION_ROUNDS × paddedDims random ±1 factors. */
  private readonly rotationSigns: Float32Array;
  /** keyBits[t * bitsPerKey + j]: which sketch bit is bit j of table t's key. */
  private readonly keyBits: Uint16Array;
  private readonly rotationBuffer: Float32Array;

  private vectors: Float32Array;
  private count = 0;
  /** Hash tables, sketches and the centre exist only once the index is big enough to need them. */
  private buckets: BucketTables | null = null;
  private sketches = new Uint32Array(0);
  private centeredNorms = new Float32Array(0);
  private center: Float32Array;
  private builtAtSize = 0;
  /** Items [0, indexedCount) are in the hash tables; later ones are inserted at the next query. */
  private indexedCount = 0;
  private generation = 0;
  private visits = new VisitMarks(0);

  constructor(options: SemanticIndexOptions) {
    const settings = { ...DEFAULTS, ...options };
    if (!Number.isInteger(settings.dims) || settings.dims < 1) {
      throw new Error(`SemanticIndex needs a positive integer dims, got ${settings.dims}`);
    }
    if (!Number.isInteger(settings.bitsPerKey) || settings.bitsPerKey < 1 || settings.bitsPerKey > 30) {
      throw new Error(`SemanticIndex bitsPerKey must be an integer between 1 and 30, got ${settings.bitsPerKey}`);
    }
    this.dims = settings.dims;
    this.tableCount = settings.tables;
    this.bitsPerKey = settings.bitsPerKey;
    this.extraProbes = Math.min(settings.extraProbes, settings.bitsPerKey);
    this.bruteForceBelow = Math.max(1, settings.bruteForceBelow);
    this.rebuildGrowthFactor = Math.max(1.5, settings.rebuildGrowthFactor);
    this.paddedDims = Math.max(SKETCH_BITS, 1 << Math.ceil(Math.log2(this.dims)));
    this.rotationBuffer = new Float32Array(this.paddedDims);
    this.center = new Float32Array(this.dims);

    const random = seededRandom(settings.seed);
    this.rotationSigns = new Float32Array(ROTATION_ROUNDS * this.paddedDims);
    for (let i = 0; i < this.rotationSigns.length; i++) this.rotationSigns[i] = random() < 0.5 ? -1 : 1;
    this.keyBits = new Uint16Array(this.tableCount * this.bitsPerKey);
    for (let t = 0; t < this.tableCount; t++) {
      // A partial Fisher–Yates shuffle: bitsPerKey distinct sketch bits per table.
      const order = Array.from({ length: SKETCH_BITS }, (_, i) => i);
      for (let j = 0; j < this.bitsPerKey; j++) {
        const pick = j + Math.floor(random() * (SKETCH_BITS - j));
        [order[j], order[pick]] = [order[pick], order[j]];
        this.keyBits[t * this.bitsPerKey + j] = order[j];
      }
    }
    this.vectors = new Float32Array(Math.max(16, settings.expectedItems) * this.dims);
  }

  get size(): number {
    return this.count;
  }

  /** Normalizes a vector and, once hash tables exist, sketches it. Reuse the result for `nearest` and `add`. */
  prepare(vector: ArrayLike<number>): PreparedVector {
    if (vector.length !== this.dims) {
      throw new Error(`Vector has ${vector.length} dimensions but this index holds ${this.dims}-dimensional vectors; embed every record with the same model`);
    }
    const unit = new Float32Array(this.dims);
    let norm = 0;
    for (let i = 0; i < this.dims; i++) norm += vector[i] * vector[i];
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < this.dims; i++) unit[i] = vector[i] / norm;
    return this.sketchFor(unit);
  }

  /**
   * Adds a prepared vector; returns its item number. The hash tables catch up lazily at the next query,
   * so loading many vectors costs one table build, not one per growth step.
   */
  add(prepared: PreparedVector): number {
    const item = this.count;
    this.ensureCapacity(item + 1);
    this.vectors.set(prepared.unit, item * this.dims);
    this.count++;
    const tablesCurrent = this.buckets !== null && this.indexedCount === item && prepared.generation === this.generation && prepared.sketch.length > 0;
    if (tablesCurrent && this.count < this.builtAtSize * this.rebuildGrowthFactor) this.insertSketched(item, prepared);
    return item;
  }

  /**
   * Adds `count` row-major vectors at once (e.g. an accepted set loaded from LanceDB). Returns the first
   * item number.
   */
  addMany(flat: Float32Array, count: number): number {
    if (flat.length !== count * this.dims) {
      throw new Error(`addMany got ${flat.length} values for ${count} vectors of ${this.dims} dimensions; pass count × dims values`);
    }
    const first = this.count;
    this.ensureCapacity(first + count);
    for (let i = 0; i < count; i++) {
      const target = (first + i) * this.dims;
      let norm = 0;
      for (let d = 0; d < this.dims; d++) norm += flat[i * this.dims + d] * flat[i * this.dims + d];
      norm = Math.sqrt(norm);
      if (norm > 0) for (let d = 0; d < this.dims; d++) this.vectors[target + d] = flat[i * this.dims + d] / norm;
      else this.vectors.fill(0, target, target + this.dims);
    }
    this.count += count;
    return first;
  }

  /** The most similar indexed item with cosine ≥ `threshold`, or null. */
  nearest(prepared: PreparedVector, threshold: number): SemanticMatch | null {
    if (this.count === 0) return null;
    if (this.count < this.bruteForceBelow) return this.nearestExact(prepared.unit, threshold);
    this.catchUpTables();
    const current = prepared.generation === this.generation && prepared.sketch.length > 0 ? prepared : this.sketchFor(prepared.unit);
    return this.nearestByHashing(current, threshold);
  }

  /** Exact scan over every item (also the ground truth the hashed search is measured against). */
  nearestExact(unit: Float32Array, threshold: number): SemanticMatch | null {
    let bestItem = -1;
    let bestSimilarity = -Infinity;
    for (let item = 0; item < this.count; item++) {
      const similarity = dotAt(this.vectors, item * this.dims, unit, this.dims);
      if (similarity >= threshold && similarity > bestSimilarity) {
        bestItem = item;
        bestSimilarity = similarity;
      }
    }
    return bestItem < 0 ? null : { item: bestItem, similarity: bestSimilarity };
  }

  /** Removes the newest items until `size === newSize` (to roll back a tentatively checked batch). */
  truncate(newSize: number): void {
    if (newSize >= this.count) return;
    if (this.buckets !== null && newSize < this.indexedCount) {
      this.buckets.truncate(newSize, (item) => this.tableKeys(this.sketches.subarray(item * SKETCH_WORDS, (item + 1) * SKETCH_WORDS)));
      this.indexedCount = newSize;
    }
    this.count = newSize;
  }

  /** The stored unit vector of an item. */
  vectorOf(item: number): Float32Array {
    return this.vectors.slice(item * this.dims, (item + 1) * this.dims);
  }

  /** Builds or re-centres the tables when due, then inserts items added since. */
  private catchUpTables(): void {
    if (this.buckets === null || this.count >= this.builtAtSize * this.rebuildGrowthFactor) {
      this.rebuild();
      return;
    }
    for (let item = this.indexedCount; item < this.count; item++) {
      this.insertSketched(item, this.sketchFor(this.vectors.subarray(item * this.dims, (item + 1) * this.dims)));
    }
  }

  /** Re-centres on the current items and rebuilds every sketch and hash table. */
  private rebuild(): void {
    const center = new Float32Array(this.dims);
    for (let item = 0; item < this.count; item++) {
      const base = item * this.dims;
      for (let i = 0; i < this.dims; i++) center[i] += this.vectors[base + i];
    }
    for (let i = 0; i < this.dims; i++) center[i] /= this.count;
    this.center = center;
    this.generation++;
    const capacity = this.vectors.length / this.dims;
    this.sketches = new Uint32Array(capacity * SKETCH_WORDS);
    this.centeredNorms = new Float32Array(capacity);
    this.visits = new VisitMarks(capacity);
    this.buckets = new BucketTables(this.tableCount, capacity);
    this.indexedCount = 0;
    // Mark the tables as existing before sketching, so sketchFor uses the new centre.
    for (let item = 0; item < this.count; item++) {
      this.insertSketched(item, this.sketchFor(this.vectors.subarray(item * this.dims, (item + 1) * this.dims)));
    }
    this.builtAtSize = this.count;
  }

  private insertSketched(item: number, prepared: PreparedVector): void {
    this.sketches.set(prepared.sketch, item * SKETCH_WORDS);
    this.centeredNorms[item] = prepared.centeredNorm;
    this.buckets!.insert(this.tableKeys(prepared.sketch));
    this.indexedCount = item + 1;
  }

  private sketchFor(unit: Float32Array): PreparedVector {
    if (this.buckets === null) {
      return { unit, generation: this.generation, projections: new Float32Array(0), sketch: new Uint32Array(0), centeredNorm: 1 };
    }
    const buffer = this.rotationBuffer;
    buffer.fill(0);
    let centeredNormSquared = 0;
    for (let i = 0; i < this.dims; i++) {
      const value = unit[i] - this.center[i];
      buffer[i] = value;
      centeredNormSquared += value * value;
    }
    for (let round = 0; round < ROTATION_ROUNDS; round++) {
      const signs = round * this.paddedDims;
      for (let i = 0; i < this.paddedDims; i++) buffer[i] *= this.rotationSigns[signs + i];
      walshHadamard(buffer);
    }
    const projections = buffer.slice(0, SKETCH_BITS);
    const sketch = new Uint32Array(SKETCH_WORDS);
    for (let h = 0; h < SKETCH_BITS; h++) if (projections[h] >= 0) sketch[h >>> 5] |= 1 << (h & 31);
    return { unit, generation: this.generation, projections, sketch, centeredNorm: Math.sqrt(centeredNormSquared) };
  }

  private nearestByHashing(prepared: PreparedVector, threshold: number): SemanticMatch | null {
    const buckets = this.buckets!;
    this.visits.startQuery();
    const sketches = this.sketches;
    const query = prepared.sketch;
    // Two vectors at cosine ≥ t are at distance² ≤ 2 − 2t, so after centring their cosine is at least
    // (a² + b² − (2 − 2t)) / 2ab for centred norms a, b: the basis of the Hamming screen below.
    const maxDistanceSquared = 2 - 2 * threshold;
    const a = prepared.centeredNorm;
    let bestItem = -1;
    let bestSimilarity = -Infinity;
    const flips = this.leastCertainBits(prepared.projections);
    for (let t = 0; t < this.tableCount; t++) {
      const key = this.tableKey(t, query);
      for (let probe = 0; probe <= this.extraProbes; probe++) {
        // Multi-probe: the key bit whose projection was closest to zero is the likeliest to differ
        // for a near neighbour, so also probe the bucket with that bit flipped.
        const probeKey = probe === 0 ? key : key ^ (1 << flips[t * this.extraProbes + probe - 1]);
        for (let item = buckets.bucketHead(t, probeKey); item >= 0; item = buckets.nextInBucket(item, t)) {
          if (!this.visits.firstVisit(item)) continue;
          const base = item * SKETCH_WORDS;
          let hamming = 0;
          for (let w = 0; w < SKETCH_WORDS; w++) hamming += popcount32(sketches[base + w] ^ query[w]);
          if (hamming > maxHammingFor(a, this.centeredNorms[item], maxDistanceSquared)) continue;
          const similarity = dotAt(this.vectors, item * this.dims, prepared.unit, this.dims);
          if (similarity >= threshold && similarity > bestSimilarity) {
            bestItem = item;
            bestSimilarity = similarity;
          }
        }
      }
    }
    return bestItem < 0 ? null : { item: bestItem, similarity: bestSimilarity };
  }

  /** For each table, the `extraProbes` key bits whose projections are closest to zero. */
  private leastCertainBits(projections: Float32Array): Uint8Array {
    const flips = new Uint8Array(this.tableCount * this.extraProbes);
    if (this.extraProbes === 0) return flips;
    const margins = new Float32Array(this.bitsPerKey);
    for (let t = 0; t < this.tableCount; t++) {
      for (let j = 0; j < this.bitsPerKey; j++) margins[j] = Math.abs(projections[this.keyBits[t * this.bitsPerKey + j]]);
      for (let p = 0; p < this.extraProbes; p++) {
        let min = 0;
        for (let j = 1; j < this.bitsPerKey; j++) if (margins[j] < margins[min]) min = j;
        flips[t * this.extraProbes + p] = min;
        margins[min] = Infinity;
      }
    }
    return flips;
  }

  private tableKeys(sketch: Uint32Array): Uint32Array {
    const keys = new Uint32Array(this.tableCount);
    for (let t = 0; t < this.tableCount; t++) keys[t] = this.tableKey(t, sketch);
    return keys;
  }

  private tableKey(table: number, sketch: Uint32Array): number {
    let key = 0;
    const base = table * this.bitsPerKey;
    for (let j = 0; j < this.bitsPerKey; j++) {
      const bit = this.keyBits[base + j];
      key |= ((sketch[bit >>> 5] >>> (bit & 31)) & 1) << j;
    }
    return key >>> 0;
  }

  private ensureCapacity(items: number): void {
    if (items * this.dims <= this.vectors.length) return;
    const capacity = Math.max(items, Math.ceil((this.vectors.length / this.dims) * 1.5));
    const vectors = new Float32Array(capacity * this.dims);
    vectors.set(this.vectors);
    this.vectors = vectors;
    if (this.buckets !== null) {
      const sketches = new Uint32Array(capacity * SKETCH_WORDS);
      sketches.set(this.sketches);
      this.sketches = sketches;
      const norms = new Float32Array(capacity);
      norms.set(this.centeredNorms);
      this.centeredNorms = norms;
      this.visits = new VisitMarks(capacity);
    }
  }
}

/**
 * The largest sketch Hamming distance worth an exact check for centred norms a and b: the centred
 * cosine of a pair at the threshold is at least c = (a² + b² − d²) / 2ab, each sketch bit differs with
 * probability p = arccos(c)/π, and we allow the mean plus 5 standard deviations (a pair at the threshold
 * passes with probability > 0.99999).
 */
function maxHammingFor(a: number, b: number, maxDistanceSquared: number): number {
  if (a === 0 || b === 0) return SKETCH_BITS;
  const c = (a * a + b * b - maxDistanceSquared) / (2 * a * b);
  if (c <= 0) return SKETCH_BITS;
  const p = Math.acos(Math.min(1, c)) / Math.PI;
  return SKETCH_BITS * p + 5 * Math.sqrt(SKETCH_BITS * p * (1 - p)) + 1;
}

/** In-place unnormalized fast Walsh–Hadamard transform; `values.length` must be a power of two. */
function walshHadamard(values: Float32Array): void {
  const n = values.length;
  for (let half = 1; half < n; half *= 2) {
    for (let start = 0; start < n; start += 2 * half) {
      for (let j = start; j < start + half; j++) {
        const x = values[j];
        const y = values[j + half];
        values[j] = x + y;
        values[j + half] = x - y;
      }
    }
  }
}

/** Dot product of `matrix[offset .. offset+dims)` with `vector`, unrolled by four (~25% faster in V8). */
export function dotAt(matrix: Float32Array, offset: number, vector: Float32Array, dims: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < dims; i += 4) {
    s0 += matrix[offset + i] * vector[i];
    s1 += matrix[offset + i + 1] * vector[i + 1];
    s2 += matrix[offset + i + 2] * vector[i + 2];
    s3 += matrix[offset + i + 3] * vector[i + 3];
  }
  for (; i < dims; i++) s0 += matrix[offset + i] * vector[i];
  return s0 + s1 + s2 + s3;
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
