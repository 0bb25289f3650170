// The generate stage of a batch: loads the batch's slice of the dataset's sources (chunks, then seed records) and
// asks the LLM for candidates from each source item, several items at once in the batch's endpoint turn. Each
// source item's candidates (and parse failures) are written as soon as it is done and handed to the scorer, so a
// retry skips the items PostgreSQL already holds.
import type { Context } from '@temporalio/activity';
import { generateFromText, generateVariants } from '../domain/generation';
import type { RecordContent } from '../domain/records/types';
import type { BuildSettings } from '../workflows/build-settings';
import { POSITION_STRIDE, writeWhileOpen, type BatchRun } from './batch-run';
import { dedupKeyColumns } from './batch-dedup-prep';
import type { CandidateToScore, StreamingScorer } from './batch-score';
import type { ActivityDeps } from './deps';
import { reportProgress } from './keep-alive';
import { generateWithPipeline } from './pipeline-generation';

export interface SourceItem {
  ordinal: number;
  kind: 'chunk' | 'seed';
  id: string;
  text?: string;
  content?: RecordContent;
  source: string;
}

/** The batch's slice [from, from + count) of the dataset's sources: chunks first, then seed records, each in id order. */
export async function loadSourceItems(deps: ActivityDeps, settings: BuildSettings, from: number, count: number): Promise<SourceItem[]> {
  const { sql } = deps.database;
  const to = Math.min(from + count, settings.chunkCount + settings.seedCount);
  const items: SourceItem[] = [];
  if (from < settings.chunkCount) {
    const rows = await sql<{ id: string; text: string; file_name: string }[]>`
      select c.id, c.text, s.file_name from chunks c join sources s on s.id = c.source_id
      where c.dataset_id = ${settings.datasetId} order by c.id offset ${from} limit ${Math.min(to, settings.chunkCount) - from}`;
    rows.forEach((r, i) => items.push({ ordinal: from + i, kind: 'chunk', id: r.id, text: r.text, source: r.file_name }));
  }
  if (to > settings.chunkCount) {
    const seedFrom = Math.max(0, from - settings.chunkCount);
    const rows = await sql<{ id: string; content: RecordContent; file_name: string }[]>`
      select r.id, r.content, s.file_name from seed_records r join sources s on s.id = r.source_id
      where r.dataset_id = ${settings.datasetId} order by r.id offset ${seedFrom} limit ${to - settings.chunkCount - seedFrom}`;
    rows.forEach((r, i) => items.push({ ordinal: settings.chunkCount + seedFrom + i, kind: 'seed', id: r.id, content: r.content, source: r.file_name }));
  }
  return items;
}

/** Generates the candidates of every source item not done yet; returns how many source items are done. */
export async function generateCandidates(run: BatchRun, items: SourceItem[], scorer: StreamingScorer, ctx: Context): Promise<number> {
  const { deps, sql, settings, batchId, round, llm, prompts, signal, inTurn, countUsage } = run;
  const datasetId = settings.datasetId;
  const finished = new Set(
    (await sql<{ o: number }[]>`select distinct (position / ${POSITION_STRIDE})::int as o from records where batch_id = ${batchId}`).map((r) => r.o),
  );
  let completed = finished.size;
  reportProgress(ctx, { stage: 'generate', completed, of: items.length });
  await settleAll(
    items
      .filter((item) => !finished.has(item.ordinal))
      .map(async (item) => {
        const result = await inTurn(() =>
          settings.pipeline
            ? generateWithPipeline(deps, llm, { pipeline: settings.pipeline, type: settings.type, item, variation: `${batchId}/${item.ordinal}`, signal })
            : item.kind === 'chunk'
              ? generateFromText(llm, {
                  type: settings.type,
                  text: item.text!,
                  numItems: settings.itemsPerChunk,
                  prompts,
                  temperature: settings.temperature,
                  maxTokens: settings.maxTokens,
                  variation: round > 1 ? `${batchId}/${item.ordinal}` : undefined,
                  grounded: settings.generationMode === 'grounded',
                  signal,
                })
              : generateVariants(llm, {
                  seed: item.content!,
                  kinds: variantKinds(deps, round),
                  prompts,
                  temperature: settings.temperature,
                  maxTokens: settings.maxTokens,
                  variation: `${batchId}/${item.ordinal}`,
                  signal,
                }).then((r) => ({ ...r, items: r.items.map((v) => v.content) })),
        );
        countUsage(result.usage);
        const base = item.ordinal * POSITION_STRIDE;
        const rows: Record<string, unknown>[] = [
          ...result.items.map((content, k) => ({
            id: `${batchId}/${item.ordinal}.${k}`,
            position: base + k,
            status: 'candidate',
            reject_reason: null as string | null,
            reject_detail: null as string | null,
            content: sql.json(content as never) as unknown,
            raw_output: null as string | null,
            // The dedup keys go in with the candidate: processing then rewrites no row whose content it kept as is.
            ...dedupKeyColumns(content),
          })),
          ...result.failures.map((f, k) => ({
            id: `${batchId}/${item.ordinal}.f${k}`,
            position: base + 500 + k,
            status: 'rejected',
            reject_reason: 'parse_failure',
            reject_detail: f.reason.slice(0, 2000),
            content: null,
            raw_output: f.raw.slice(0, 20000),
            content_hash: null,
            minhash: null,
          })),
        ];
        if (rows.length === 0) {
          // Keep a marker so a retry knows this source item was done and produced nothing.
          rows.push({
            id: `${batchId}/${item.ordinal}.none`,
            position: base + 999,
            status: 'rejected',
            reject_reason: 'no_output',
            reject_detail: 'the model returned no items',
            content: null,
            raw_output: null,
            content_hash: null,
            minhash: null,
          });
        }
        // The source item's candidates and its "done" mark are one write, made only while the batch is open: an
        // attempt that outlived its heartbeat finds the batch decided and adds nothing.
        await writeWhileOpen(
          sql,
          batchId,
          (tx) =>
            tx`insert into records ${tx(
              rows.map((r) => ({
                ...r,
                dataset_id: datasetId,
                build_id: settings.buildId ?? null,
                batch_id: batchId,
                round,
                type: settings.type,
                chunk_id: item.kind === 'chunk' ? item.id : null,
                seed_record_id: item.kind === 'seed' ? item.id : null,
                source: item.source,
                tokens_in: Math.round((result.usage?.promptTokens ?? 0) / Math.max(1, rows.length)),
                tokens_out: Math.round((result.usage?.completionTokens ?? 0) / Math.max(1, rows.length)),
              })),
            )} on conflict (id) do nothing`,
        );
        scorer.add(
          result.items.map(
            (content, k): CandidateToScore => ({
              id: `${batchId}/${item.ordinal}.${k}`,
              content,
              sourceText: item.kind === 'chunk' ? item.text : undefined,
            }),
          ),
        );
        completed++;
        reportProgress(ctx, { stage: 'generate', completed, of: items.length });
      }),
  );
  return completed;
}

/** Each round asks for a different kind of variant of the seed records (rephrase, new question, harder, easier). */
function variantKinds(deps: ActivityDeps, round: number) {
  const kinds = deps.config.generation.variant_kinds;
  return [kinds[(round - 1) % kinds.length]];
}

/**
 * Promise.all that waits for every item before failing: when the batch is cancelled (the target was met) or one
 * item fails, no item's insert may still be running after the activity has returned, or its candidates would land
 * after the workflow finalized the build and stay candidates for ever.
 */
async function settleAll(tasks: Promise<unknown>[]): Promise<void> {
  const outcomes = await Promise.allSettled(tasks);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}
