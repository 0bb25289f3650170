// Curation's dedup library: exact hashes, MinHash LSH near-duplicates, semantic (embedding) duplicates.
export { normalizeForHash, textHash, contentHash } from './normalize';
export {
  MinHasher,
  minHasherFor,
  signature,
  estimateJaccard,
  signatureToBuffer,
  signatureFromBuffer,
  signatureToBase64,
  signatureFromBase64,
  DEFAULT_MINHASH_OPTIONS,
  type MinHashOptions,
  type ShingleKind,
} from './minhash';
export { MinHashIndex, lshBandKeys, type NearDuplicateMatch } from './minhash-index';
export { AcceptedBandIndex, bestNearMatch, type NearMatch } from './accepted-band-index';
export { SemanticIndex, type SemanticIndexOptions, type SemanticMatch } from './semantic-index';
export { dedupSettingsSchema, resolveDedupSettings, DEFAULT_DEDUP_SETTINGS, type DedupSettings, type DedupSettingsInput } from './settings';
export {
  Deduplicator,
  type DedupCandidate,
  type DedupVerdict,
  type AcceptedItem,
  type DedupStats,
  type DuplicateReason,
} from './deduplicator';
export { dedupeRecords, type DedupeRecordsResult, type DuplicateFinding, type EmbedFunction } from './dedupe-records';
export * from './normalize';
export * from './minhash';
export * from './byte-limited-cache';
