// The dedupe stage's share of a batch: what acceptance needs to deduplicate the kept candidates quickly, computed
// here in parallel with other batches rather than in the serialized acceptance: content hash, MinHash signature
// and, with semantic dedup on, the embedding (written to the dataset's LanceDB candidates table).
import { contentHash } from '../domain/dedup';
import { signature, signatureToBuffer } from '../domain/dedup';
import { recordText, type DatasetRecord } from '../domain/records/types';
import { candidateVectorTableName } from '../infra/vectors';
import type { BatchRun } from './batch-run';
import type { DedupPrepWrite } from './build-writes';
import type { ActivityDeps } from './deps';

export async function prepareDedup(run: BatchRun, kept: DatasetRecord[]): Promise<DedupPrepWrite[]> {
  const contentById = new Map(kept.map((r) => [r.id, r.content]));
  const texts = kept.map((r) => recordText(r.content));
  const vectors = run.settings.dedup.semantic.enabled && texts.length ? await run.embedInTurn(() => run.deps.embedder.embed(texts)) : [];
  // The vectors go to LanceDB, where acceptance (on any worker) reads them: before the batch is marked processed,
  // so a processed batch always has them. A retry rewrites the same rows (merge on id).
  if (vectors.length) {
    await (await run.deps.vectors()).upsert(
      candidateVectorTableName(run.settings.datasetId),
      kept.map((r, i) => ({ id: r.id, vector: vectors[i], text: JSON.stringify(contentById.get(r.id)) })),
    );
  }
  return kept.map((r, i) => ({
    id: r.id,
    contentHash: contentHash(r.content),
    minhash: signatureToBuffer(signature(texts[i])),
    content: contentById.get(r.id),
  }));
}

/** Whether embeddings are requested from the generation endpoint (and so compete for its slots). */
export function sharesLlmEndpoint(deps: ActivityDeps): boolean {
  const { embedding, llm } = deps.config;
  return embedding.provider === 'openai' && (!embedding.base_url || embedding.base_url.replace(/\/+$/, '') === llm.base_url.replace(/\/+$/, ''));
}
