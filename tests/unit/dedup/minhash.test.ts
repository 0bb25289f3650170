import { describe, expect, it } from 'vitest';
import {
  MinHasher,
  estimateJaccard,
  signature,
  signatureFromBase64,
  signatureFromBuffer,
  signatureToBase64,
  signatureToBuffer,
} from '../../../src/domain/dedup/minhash';
import { MinHashIndex } from '../../../src/domain/dedup/minhash-index';
import { seededRandom } from '../../../src/infra/common/seeded-random';

const random = seededRandom(42);
const vocabulary = Array.from({ length: 2000 }, (_, i) => `w${i.toString(36)}${'xyz'[i % 3]}`);
function randomText(words = 40): string {
  return Array.from({ length: words }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' ');
}
/** A paraphrase-light edit: one word replaced, one dropped, case and punctuation changed. */
function lightEdit(text: string): string {
  const words = text.split(' ');
  words[5] = 'other';
  words.splice(20, 1);
  return `${words.join(' ').toUpperCase()}!`;
}

describe('MinHash signatures', () => {
  it('are deterministic and numPerm long', () => {
    const a = signature('the quick brown fox jumps over the lazy dog');
    expect(a).toHaveLength(128);
    expect(Array.from(a)).toEqual(Array.from(signature('the quick brown fox jumps over the lazy dog')));
  });

  it('estimate Jaccard: 1 for reformatted text, high for light edits, near 0 for unrelated text', () => {
    const text = randomText();
    expect(estimateJaccard(signature(text), signature(text.toUpperCase().replace(/ /g, '   ')))).toBe(1);
    expect(estimateJaccard(signature(text), signature(lightEdit(text)))).toBeGreaterThan(0.8);
    expect(estimateJaccard(signature(text), signature(randomText()))).toBeLessThan(0.1);
  });

  it('char shingles tolerate a one-word edit better than word 5-shingles (why char is the default)', () => {
    const text = randomText(25);
    const edited = text.replace(/^(\S+ \S+ \S+ )\S+/, '$1changed');
    const char = new MinHasher({ shingle: 'char', shingleSize: 5 });
    const word = new MinHasher({ shingle: 'word', shingleSize: 5 });
    const charJ = estimateJaccard(char.signature(text), char.signature(edited));
    const wordJ = estimateJaccard(word.signature(text), word.signature(edited));
    expect(charJ).toBeGreaterThan(0.8);
    expect(wordJ).toBeLessThan(charJ);
  });

  it('round-trip through Buffer (bytea) and base64', () => {
    const sig = signature('round trip me');
    const bytes = signatureToBuffer(sig);
    expect(bytes).toHaveLength(257);
    expect(Math.max(...sig)).toBeLessThan(0x10000);
    expect(Array.from(signatureFromBuffer(bytes))).toEqual(Array.from(sig));
    // postgres.js hands back Buffers that may be views into a larger pool.
    const pooled = Buffer.concat([Buffer.alloc(3), bytes]).subarray(3);
    expect(Array.from(signatureFromBuffer(pooled))).toEqual(Array.from(sig));
    expect(Array.from(signatureFromBase64(signatureToBase64(sig)))).toEqual(Array.from(sig));
    expect(() => signatureFromBuffer(new Uint8Array(6))).toThrow(/2 bytes per slot, or 4 bytes per slot; got 6 bytes/);
  });

  it('reads signatures stored with full 32-bit slots as the 16-bit slots computed now', () => {
    const sig = signature('stored before slots kept 16 bits');
    // The first stored format: 4 little-endian bytes per slot. Its high halves are arbitrary; they must not matter.
    const legacy = Buffer.alloc(sig.length * 4);
    sig.forEach((slot, i) => legacy.writeUInt32LE(((0xabcd0000 + i * 0x10000) | slot) >>> 0, i * 4));
    expect(Array.from(signatureFromBuffer(legacy))).toEqual(Array.from(sig));
    expect(estimateJaccard(signatureFromBuffer(legacy), sig)).toBe(1);
  });
});

describe('MinHashIndex', () => {
  const originals = Array.from({ length: 300 }, () => randomText());
  const index = new MinHashIndex({ numPerm: 128, bands: 32 });
  originals.forEach((text, i) => index.add(`doc${i}`, signature(text)));

  it('finds planted near-duplicates and their source', () => {
    for (let i = 0; i < 30; i++) {
      const matches = index.query(signature(lightEdit(originals[i])), 0.8);
      expect(matches[0]?.id).toBe(`doc${i}`);
    }
  });

  it('returns nothing for unrelated texts', () => {
    for (let i = 0; i < 30; i++) expect(index.query(signature(randomText()), 0.8)).toEqual([]);
  });

  it('rejects signatures of another length and bands that do not divide numPerm', () => {
    expect(() => index.query(new Uint32Array(64), 0.8)).toThrow(/numPerm=128/);
    expect(() => new MinHashIndex({ numPerm: 128, bands: 30 })).toThrow(/divide numPerm/);
  });

  it('serializes compactly and answers the same after a round trip', () => {
    const bytes = index.serialize();
    expect(bytes.length).toBeLessThan(300 * 512 + 20 + 300 * 12);
    const restored = MinHashIndex.deserialize(bytes);
    expect(restored.size).toBe(300);
    expect(restored.query(signature(lightEdit(originals[7])), 0.8)[0]?.id).toBe('doc7');
    expect(() => MinHashIndex.deserialize(Buffer.from('nope nope nope nope nope'))).toThrow(/Not a serialized MinHashIndex/);
  });

  it('truncate removes the newest items from every bucket', () => {
    const small = new MinHashIndex();
    small.add('keep', signature(originals[0]));
    small.add('drop', signature(originals[1]));
    small.truncate(1);
    expect(small.size).toBe(1);
    expect(small.query(signature(originals[1]), 0.5)).toEqual([]);
    expect(small.query(signature(originals[0]), 0.5)[0]?.id).toBe('keep');
    small.add('again', signature(originals[1]));
    expect(small.query(signature(originals[1]), 0.5)[0]?.id).toBe('again');
  });
});
