// Small, fast, deterministic 32-bit hashing shared by MinHash, the semantic LSH index and the lexical
// embedder. Deterministic on purpose: signatures and sketches are stored and compared across processes,
// so every process must derive the same hashes from the same text and seed.

/** MurmurHash3's 32-bit finalizer: a bijection on 32-bit integers with good avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units followed by fmix32; `seed` selects an independent hash function. */
export function hashString32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}
