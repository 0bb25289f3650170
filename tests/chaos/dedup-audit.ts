// The offline duplicate audit: recomputes, from the accepted records' content alone, the three measures the
// build's dedup stage decides by (normalized-text hash, MinHash estimated Jaccard, embedding cosine with the
// configured embedder) and compares every pair of the whole accepted set. The build compares each batch only with
// what it has loaded; this audit trusts nothing it stored (no content_hash, minhash or vector column), so a worker
// that accepted with a stale or partial view of the accepted set shows up as a pair over a threshold.
import { createEmbedder, llmEndpointConfig } from '../../src/activities/deps';
import { textHash } from '../../src/domain/dedup/normalize';
import { estimateJaccard, signature } from '../../src/domain/dedup/minhash';
import { recordText, type RecordContent } from '../../src/domain/records/types';
import type { DatacreekConfig } from '../../src/infra/config/schema';
import type { Database } from '../../src/infra/db/client';
import { LlmClient } from '../../src/infra/llm';
import { defaultSemanticThreshold } from '../../src/infra/vectors';

export interface AuditThresholds {
  exact: boolean;
  /** Estimated Jaccard at or above which two records are near duplicates; null when MinHash dedup is off. */
  minhash: { threshold: number; numPerm: number } | null;
  /** Cosine at or above which two records are semantic duplicates; null when semantic dedup is off. */
  semantic: number | null;
}

export interface DuplicatePair {
  a: string;
  b: string;
  measure: 'exact' | 'minhash' | 'semantic';
  similarity: number;
}

export interface DuplicateAudit {
  records: number;
  pairsCompared: number;
  /** The most similar pair by each measure: how far below its threshold the accepted set stays. */
  maxJaccard: number;
  maxCosine: number;
  /** Every pair at or above a threshold (empty when the accepted set is clean). */
  pairs: DuplicatePair[];
}

export interface AuditItem {
  id: string;
  text: string;
  vector: ArrayLike<number>;
}

export function thresholdsOf(config: DatacreekConfig): AuditThresholds {
  const { dedup } = config;
  return {
    exact: dedup.exact,
    minhash: dedup.minhash.enabled ? { threshold: dedup.minhash.threshold, numPerm: dedup.minhash.num_perm } : null,
    semantic: dedup.semantic.enabled ? (dedup.semantic.threshold ?? defaultSemanticThreshold(config.embedding.provider)) : null,
  };
}

function unit(vector: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(vector);
  const norm = Math.hypot(...out);
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}

/** Every pair of `items` compared by all enabled measures (pure; the unit of the audit). */
export function findDuplicatePairs(items: AuditItem[], thresholds: AuditThresholds): DuplicateAudit {
  const hashes = items.map((item) => textHash(item.text));
  const signatures = thresholds.minhash ? items.map((item) => signature(item.text, { numPerm: thresholds.minhash!.numPerm })) : [];
  const units = thresholds.semantic !== null ? items.map((item) => unit(item.vector)) : [];
  const pairs: DuplicatePair[] = [];
  let maxJaccard = 0;
  let maxCosine = -1;
  let pairsCompared = 0;
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      pairsCompared++;
      const pair = (measure: DuplicatePair['measure'], similarity: number) => pairs.push({ a: items[i].id, b: items[j].id, measure, similarity });
      if (thresholds.exact && hashes[i] === hashes[j]) pair('exact', 1);
      if (thresholds.minhash) {
        const jaccard = estimateJaccard(signatures[i], signatures[j]);
        maxJaccard = Math.max(maxJaccard, jaccard);
        if (jaccard >= thresholds.minhash.threshold) pair('minhash', jaccard);
      }
      if (thresholds.semantic !== null) {
        let cosine = 0;
        for (let k = 0; k < units[i].length; k++) cosine += units[i][k] * units[j][k];
        maxCosine = Math.max(maxCosine, cosine);
        if (cosine >= thresholds.semantic) pair('semantic', cosine);
      }
    }
  }
  return { records: items.length, pairsCompared, maxJaccard, maxCosine, pairs };
}

/** Loads a dataset's accepted records from PostgreSQL, embeds them with `config`'s embedder, and audits every pair. */
export async function auditAcceptedDuplicates(db: Database, datasetId: string, config: DatacreekConfig): Promise<DuplicateAudit> {
  const rows = await db.sql<{ id: string; content: RecordContent }[]>`
    select id, content from records where dataset_id = ${datasetId} and status = 'accepted' order by accept_seq`;
  const texts = rows.map((r) => recordText(r.content));
  let llm: LlmClient | undefined;
  const embedder = createEmbedder(config, () => (llm ??= new LlmClient(llmEndpointConfig(config))));
  const vectors = texts.length ? await embedder.embed(texts) : [];
  return findDuplicatePairs(
    rows.map((r, i) => ({ id: r.id, text: texts[i], vector: vectors[i] })),
    thresholdsOf(config),
  );
}
