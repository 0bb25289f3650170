// The baseline peers use: stages one after another, each sent as batches of C requests that wait for the
// slowest before the next batch goes (generate C chunks → judge what came back → embed → dedup → repeat).
// Same client, same endpoint, same work per record as the build loop; no workflow, no database.
import { loadConfig } from '../../src/infra/config/load';
import { Deduplicator } from '../../src/domain/dedup';
import { generateFromText, judgeRecords } from '../../src/domain/generation';
import { LlmClient } from '../../src/infra/llm';
import { clearEndpointLimiters } from '../../src/infra/llm/endpoint-limiter';
import { recordText, type RecordContent } from '../../src/domain/records/types';

export interface NaiveLoopOptions {
  url: string;
  slots: number;
  target: number;
  /** Source texts, used in order (and again from the start if they run out). */
  texts: string[];
  itemsPerChunk: number;
  judgeBatchSize: number;
  threshold: number;
}

export interface NaiveLoopResult {
  accepted: number;
  requests: number;
  wallMs: number;
}

export async function runNaiveLoop(opts: NaiveLoopOptions): Promise<NaiveLoopResult> {
  clearEndpointLimiters();
  // Only the prompt templates and the embedding batch size are used; the endpoint is set so the config validates.
  const config = loadConfig({ env: {}, overrides: { llm: { provider: 'openai', base_url: opts.url } } });
  const llm = new LlmClient({
    baseURL: opts.url,
    model: 'datacreek-test-llm',
    timeoutMs: 60_000,
    maxRetries: 3,
    maxConcurrency: opts.slots,
    structuredOutput: 'json_schema',
  });
  const dedup = await Deduplicator.open({});
  const inBatchesOfC = async <T, R>(items: T[], send: (item: T) => Promise<R>): Promise<R[]> => {
    const out: R[] = [];
    for (let i = 0; i < items.length; i += opts.slots) out.push(...(await Promise.all(items.slice(i, i + opts.slots).map(send))));
    return out;
  };
  let requests = 0;
  let accepted = 0;
  let next = 0;
  const started = Date.now();
  while (accepted < opts.target) {
    const chunkTexts = Array.from({ length: opts.slots }, () => opts.texts[next++ % opts.texts.length]);
    const generated = await inBatchesOfC(chunkTexts, (text) => {
      requests++;
      return generateFromText(llm, { type: 'qa', text, numItems: opts.itemsPerChunk, prompts: config.prompts });
    });
    const items = generated.flatMap((g, c) => g.items.map((content, k) => ({ id: `${next}-${c}-${k}`, content, sourceText: chunkTexts[c] })));
    const judgeGroups: (typeof items)[] = [];
    for (let i = 0; i < items.length; i += opts.judgeBatchSize) judgeGroups.push(items.slice(i, i + opts.judgeBatchSize));
    const judged = await inBatchesOfC(judgeGroups, (group) => {
      requests++;
      return judgeRecords(llm, group, { batchSize: opts.judgeBatchSize, prompts: config.prompts });
    });
    const good = new Set(judged.flatMap((j) => j.ratings.filter((r) => r.rating >= opts.threshold).map((r) => r.id)));
    const kept = items.filter((i) => good.has(i.id));
    const embedGroups: { id: string; content: RecordContent }[][] = [];
    for (let i = 0; i < kept.length; i += config.embedding.batch_size) embedGroups.push(kept.slice(i, i + config.embedding.batch_size));
    const vectors = (
      await inBatchesOfC(embedGroups, (group) => {
        requests++;
        return llm.embed(
          group.map((k) => recordText(k.content)),
          { model: 'datacreek-test-embedding', dimensions: 384 },
        );
      })
    ).flatMap((e) => e.vectors);
    const verdicts = dedup.check(kept.map((k, i) => ({ id: k.id, text: recordText(k.content), vector: vectors[i] })));
    const unique = verdicts
      .filter((v) => !v.duplicateOf)
      .map((v) => v.id)
      .slice(0, opts.target - accepted);
    dedup.accept(unique);
    accepted += unique.length;
  }
  return { accepted, requests, wallMs: Date.now() - started };
}
