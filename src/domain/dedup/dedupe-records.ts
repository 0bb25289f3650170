// Dedup of an existing dataset in one call (the standalone curate workflow and `datacreek curate`):
// every record is checked against the records before it, first come wins.
import { recordText, type DatasetRecord } from '../records/types';
import type { Embedder } from '../../infra/vectors';
import { createLexicalEmbedder, defaultSemanticThreshold } from '../../infra/vectors';
import { Deduplicator, type DedupStats, type DuplicateReason } from './deduplicator';
import { contentHash } from './normalize';
import { resolveDedupSettings, type DedupSettingsInput } from './settings';

export type EmbedFunction = (texts: string[]) => Promise<ArrayLike<number>[]>;

export interface DuplicateFinding {
  id: string;
  duplicateOf: string;
  reason: DuplicateReason;
  similarity?: number;
}

export interface DedupeRecordsResult {
  kept: DatasetRecord[];
  duplicates: DuplicateFinding[];
  counts: { total: number; kept: number } & Record<DuplicateReason, number>;
  /** What produced the vectors for semantic dedup (absent when it was off). */
  embedder?: string;
  stats: DedupStats;
}

/** Texts per embed call, so a remote endpoint sees requests of a sensible size. */
const EMBED_CHUNK = 256;

/**
 * Removes exact, near and semantic duplicates from `records`, keeping the first of each group.
 * Semantic dedup embeds with `embed` (a function or an Embedder); without one it falls back to the
 * lexical embedder and says so in `embedder`.
 */
export async function dedupeRecords(
  records: DatasetRecord[],
  settings: DedupSettingsInput = {},
  embed?: EmbedFunction | Embedder,
): Promise<DedupeRecordsResult> {
  // An unset semantic threshold follows the embedder (the lexical fallback's vectors need a higher one).
  const embedderKind = typeof embed === 'object' ? embed.kind : embed === undefined ? 'lexical' : undefined;
  const resolved = resolveDedupSettings(
    settings.semantic?.threshold === undefined && embedderKind
      ? { ...settings, semantic: { ...settings.semantic, threshold: defaultSemanticThreshold(embedderKind) } }
      : settings,
  );
  const texts = records.map((record) => recordText(record.content));
  let vectors: ArrayLike<number>[] | undefined;
  let embedderDescription: string | undefined;
  if (resolved.semantic.enabled && records.length > 0) {
    const embedder = embed ?? createLexicalEmbedder();
    const embedTexts = typeof embedder === 'function' ? embedder : embedder.embed.bind(embedder);
    embedderDescription = typeof embedder === 'function' ? 'caller-supplied embedding function' : embedder.describe();
    vectors = [];
    for (let start = 0; start < texts.length; start += EMBED_CHUNK) {
      const chunk = texts.slice(start, start + EMBED_CHUNK);
      const embedded = await embedTexts(chunk);
      if (embedded.length !== chunk.length) {
        throw new Error(`The embedder returned ${embedded.length} vectors for ${chunk.length} texts; it must return one vector per text`);
      }
      vectors.push(...embedded);
    }
  }

  const dedup = await Deduplicator.open({ settings: resolved });
  const verdicts = dedup.check(
    records.map((record, i) => ({
      id: record.id,
      text: texts[i],
      contentHash: contentHash(record.content),
      vector: vectors ? Float32Array.from(vectors[i]) : undefined,
    })),
  );
  const keptIds = verdicts.filter((v) => v.duplicateOf === null).map((v) => v.id);
  dedup.accept(keptIds);

  const keptSet = new Set(keptIds);
  const duplicates: DuplicateFinding[] = verdicts
    .filter((v) => v.duplicateOf !== null)
    .map((v) => ({ id: v.id, duplicateOf: v.duplicateOf!, reason: v.reason!, ...(v.similarity !== undefined ? { similarity: v.similarity } : {}) }));
  const counts = { total: records.length, kept: keptIds.length, exact_duplicate: 0, near_duplicate: 0, semantic_duplicate: 0 };
  for (const duplicate of duplicates) counts[duplicate.reason]++;
  return {
    kept: records.filter((record) => keptSet.has(record.id)),
    duplicates,
    counts,
    ...(embedderDescription ? { embedder: embedderDescription } : {}),
    stats: dedup.stats,
  };
}
