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

export interface DedupPreparation {
  rows: DedupPrepWrite[];
  /**
   * Writes the kept candidates' vectors to the dataset's LanceDB candidates table, where acceptance (on any worker)
   * reads them. The batch runs it beside its PostgreSQL writes, inside the transaction that marks the batch
   * processed, so a processed batch always has them and a batch closed meanwhile writes none. A retry rewrites the
   * same rows (merge on id).
   */
  writeVectors: () => Promise<void>;
}

/** `changed`: ids of kept records a filter step changed; only their content is written back. */
export async function prepareDedup(run: BatchRun, kept: DatasetRecord[], changed: ReadonlySet<string>): Promise<DedupPreparation> {
  const texts = kept.map((r) => recordText(r.content));
  const vectors = run.settings.dedup.semantic.enabled && texts.length ? await run.embedInTurn(() => run.deps.embedder.embed(texts)) : [];
  const rows = kept.map((r, i) => ({
    id: r.id,
    contentHash: contentHash(r.content),
    minhash: signatureToBuffer(signature(texts[i])),
    ...(changed.has(r.id) ? { content: r.content } : {}),
  }));
  const writeVectors = async () => {
    if (vectors.length === 0) return;
    await (await run.deps.vectors()).upsert(
      candidateVectorTableName(run.settings.datasetId),
      kept.map((r, i) => ({ id: r.id, vector: vectors[i], text: JSON.stringify(r.content) })),
    );
  };
  return { rows, writeVectors };
}

/** Whether embeddings are requested from the generation endpoint (and so compete for its slots). */
export function sharesLlmEndpoint(deps: ActivityDeps): boolean {
  const { embedding, llm } = deps.config;
  return embedding.provider === 'openai' && (!embedding.base_url || embedding.base_url.replace(/\/+$/, '') === llm.base_url.replace(/\/+$/, ''));
}
