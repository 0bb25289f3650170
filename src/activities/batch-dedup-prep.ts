// The dedupe stage's share of a batch: what acceptance needs to deduplicate the kept candidates quickly, computed
// here in parallel with other batches rather than in the serialized acceptance: content hash, MinHash signature
// and, with semantic dedup on, the embedding.
import { contentHash } from '../domain/dedup';
import { signature, signatureToBuffer } from '../domain/dedup';
import { recordText, type DatasetRecord } from '../domain/records/types';
import type { BatchRun } from './batch-run';
import type { DedupPrepWrite } from './build-writes';
import type { ActivityDeps } from './deps';

export async function prepareDedup(run: BatchRun, kept: DatasetRecord[]): Promise<DedupPrepWrite[]> {
  const contentById = new Map(kept.map((r) => [r.id, r.content]));
  const texts = kept.map((r) => recordText(r.content));
  const vectors = run.settings.dedup.semantic.enabled && texts.length ? await run.embedInTurn(() => run.deps.embedder.embed(texts)) : [];
  return kept.map((r, i) => ({
    id: r.id,
    contentHash: contentHash(r.content),
    minhash: signatureToBuffer(signature(texts[i])),
    embedding: vectors[i] ?? null,
    content: contentById.get(r.id),
  }));
}

/** Whether embeddings are requested from the generation endpoint (and so compete for its slots). */
export function sharesLlmEndpoint(deps: ActivityDeps): boolean {
  const { embedding, llm } = deps.config;
  return embedding.provider === 'openai' && (!embedding.base_url || embedding.base_url.replace(/\/+$/, '') === llm.base_url.replace(/\/+$/, ''));
}
