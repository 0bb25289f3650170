// One batch of a build: generate candidates from a slice of the dataset's chunks / seed records, score them,
// run the filter pipeline, and prepare what dedup needs (content hash, MinHash signature, embedding).
// Generation and scoring overlap: each source item's candidates go to the judge as soon as a judge call's
// worth of them exists, so the endpoint's slots never wait for the batch's slowest generation call.
// Resumable: every generated item is written as soon as its source item is done and every score as soon as
// its judge call is, so a retry skips what PostgreSQL already holds and only re-does what was lost.
import { ApplicationFailure, type Context } from '@temporalio/activity';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../infra/db/client';
import { contentHash } from '../domain/dedup/normalize';
import { signature, signatureToBuffer } from '../domain/dedup/minhash';
import { generateFromText, generateVariants } from '../domain/generation';
import { generateWithPipeline } from './pipeline-generation';
import { buildFilterPipeline, runFilterPipeline } from '../domain/quality';
import { recordText, type DatasetRecord, type RecordContent } from '../domain/records/types';
import type { BatchSummary, BuildSettings } from '../workflows/build-settings';
import { batchPriority, endpointGate } from './build-gate';
import { StreamingScorer, type CandidateToScore } from './build-scoring';
import { writeDedupPrep, writeRejections, writeScores, type RejectionWrite } from './build-writes';
import type { ActivityDeps } from './deps';
import { reportProgress } from './keep-alive';
import { candidateVectorTableName } from './tables';

interface SourceItem {
  ordinal: number;
  kind: 'chunk' | 'seed';
  id: string;
  text?: string;
  content?: RecordContent;
  source: string;
}

interface CandidateRow {
  id: string;
  content: RecordContent;
  score: number | null;
  source: string | null;
  chunk_id: string | null;
}

export interface BatchArgs {
  workflowId: string;
  batchId: string;
  round: number;
  index: number;
  settings: BuildSettings;
  /**
   * The batch's source items, as an offset into the dataset's ordered sources and a count: batches sized by what
   * the build still misses hold fewer items than settings.batchSize. Absent: the index-th full slice.
   */
  sourceOffset?: number;
  sourceCount?: number;
}

/** Positions leave room for many items per source item: position = ordinal * 1000 + k. */
const POSITION_STRIDE = 1000;

export async function processBatchWork(
  deps: ActivityDeps,
  args: BatchArgs,
  ctx: Context,
): Promise<BatchSummary> {
  const { sql } = deps.database;
  const { settings, batchId, round, index } = args;
  const datasetId = settings.datasetId;

  // The batch row is opened before any candidate is written; candidates are written only while it is open.
  await sql`insert into batches (id, dataset_id, round, index, status, summary)
    values (${batchId}, ${datasetId}, ${round}, ${index}, 'processing', '{}'::jsonb) on conflict (id) do nothing`;
  const [batch] = await sql<{ status: string; summary: BatchSummary }[]>`select status, summary from batches where id = ${batchId}`;
  if (batch.status === 'processed' || batch.status === 'accepted') return batch.summary;
  if (batch.status !== 'processing') throw batchClosed(batchId, batch.status);

  const prompts = { ...deps.config.prompts, ...(settings.prompts ?? {}) };
  const llm = deps.llm();
  const signal = ctx.cancellationSignal;
  const gate = endpointGate(llm.endpoint, deps.config.llm.concurrency);
  const inTurn = <T>(call: () => Promise<T>) => gate.run(batchPriority(round, index), call, signal);
  // Embeddings from the LLM endpoint itself share its slots, so they take their turn too.
  const embedInTurn = sharesLlmEndpoint(deps) ? inTurn : <T>(call: () => Promise<T>) => call();
  let tokensIn = 0;
  let tokensOut = 0;
  const countUsage = (u: { promptTokens: number; completionTokens: number } | undefined) => {
    tokensIn += u?.promptTokens ?? 0;
    tokensOut += u?.completionTokens ?? 0;
  };

  // ---- generate, and score as candidates arrive --------------------------------------------------------
  const from = args.sourceOffset ?? index * settings.batchSize;
  const items = await loadSourceItems(deps, settings, from, args.sourceCount ?? settings.batchSize);
  const sourceText = new Map(items.filter((i) => i.text).map((i) => [i.id, i.text!]));
  const scorer = new StreamingScorer({
    scoring: settings.scoring,
    llm: deps.llm,
    rewardLlm: deps.rewardLlm,
    judgeBatchSize: deps.config.curate.judge_batch_size,
    reward: { parse: deps.config.reward.parse, weights: deps.config.reward.weights },
    prompts,
    signal,
    inTurn,
    countUsage,
    // Scores and the rejections they cause land together: a retry must never see a low score left a candidate.
    persist: async (outcome) => {
      await writeWhileOpen(sql, batchId, async (tx) => {
        await writeScores(tx, outcome.scores);
        await writeRejections(tx, outcome.rejections);
      });
    },
  });
  if (scorer.enabled) {
    // A retry: candidates generated by an earlier attempt whose judge call had not finished.
    const unscored = await sql<{ id: string; content: RecordContent; chunk_id: string | null }[]>`
      select id, content, chunk_id from records
      where batch_id = ${batchId} and status = 'candidate' and score is null order by position`;
    scorer.add(unscored.map((c) => ({ id: c.id, content: c.content, sourceText: c.chunk_id ? sourceText.get(c.chunk_id) : undefined })));
  }
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
          })),
          ...result.failures.map((f, k) => ({
            id: `${batchId}/${item.ordinal}.f${k}`,
            position: base + 500 + k,
            status: 'rejected',
            reject_reason: 'parse_failure',
            reject_detail: f.reason.slice(0, 2000),
            content: null,
            raw_output: f.raw.slice(0, 20000),
          })),
        ];
        if (rows.length === 0) {
          // Keep a marker so a retry knows this source item was done and produced nothing.
          rows.push({ id: `${batchId}/${item.ordinal}.none`, position: base + 999, status: 'rejected', reject_reason: 'no_output', reject_detail: 'the model returned no items', content: null, raw_output: null });
        }
        // The source item's candidates and its "done" mark are one write, made only while the batch is open: an
        // attempt that outlived its heartbeat finds the batch decided and adds nothing.
        await writeWhileOpen(sql, batchId, (tx) => tx`insert into records ${tx(
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
        )} on conflict (id) do nothing`);
        scorer.add(
          result.items.map((content, k): CandidateToScore => ({
            id: `${batchId}/${item.ordinal}.${k}`,
            content,
            sourceText: item.kind === 'chunk' ? item.text : undefined,
          })),
        );
        completed++;
        reportProgress(ctx, { stage: 'generate', completed, of: items.length });
      }),
  );

  reportProgress(ctx, { stage: 'score', completed, of: items.length });
  await scorer.finish();

  // ---- filter --------------------------------------------------------------------------------------
  const candidates = await sql<CandidateRow[]>`
    select id, content, score, source, chunk_id from records
    where batch_id = ${batchId} and status = 'candidate' order by position`;
  const rejections: RejectionWrite[] = [];
  const survivors: DatasetRecord[] = candidates.map((c) => ({ id: c.id, content: c.content, score: c.score, source: c.source }));
  const chunkOf = new Map(candidates.map((c) => [c.id, c.chunk_id]));
  const steps = buildFilterPipeline(basicFilters(deps, settings), {
    sourceText: (record) => {
      const chunkId = chunkOf.get(record.id);
      return chunkId ? sourceText.get(chunkId) : undefined;
    },
  });
  const filtered = await runFilterPipeline(survivors, steps);
  for (const r of filtered.rejected) rejections.push({ id: r.id, reason: r.step, detail: r.reason });
  const contentById = new Map(filtered.kept.map((r) => [r.id, r.content]));

  // ---- prepare dedup: hash, MinHash signature, embedding ---------------------------------------------
  reportProgress(ctx, { stage: 'embed', kept: filtered.kept.length });
  const texts = filtered.kept.map((r) => recordText(r.content));
  const vectors = settings.dedup.semantic.enabled && texts.length ? await embedInTurn(() => deps.embedder.embed(texts)) : [];
  const dedupRows = filtered.kept.map((r, i) => ({
    id: r.id,
    contentHash: contentHash(r.content),
    minhash: signatureToBuffer(signature(texts[i])),
    content: contentById.get(r.id),
  }));
  // The vectors go to LanceDB, where acceptance (on any worker) reads them: before the batch is marked processed,
  // so a processed batch always has them. A retry rewrites the same rows (merge on id).
  if (vectors.length) {
    await (await deps.vectors()).upsert(
      candidateVectorTableName(settings.datasetId),
      filtered.kept.map((r, i) => ({ id: r.id, vector: vectors[i], text: JSON.stringify(contentById.get(r.id)) })),
    );
  }

  // ---- write it all at once, with the batch row that marks it done ------------------------------------
  await writeWhileOpen(sql, batchId, async (tx) => {
    await writeRejections(tx, rejections);
    await writeDedupPrep(tx, dedupRows);
    const [counts] = await tx<{ generated: number; parse_failures: number; tokens_in: number; tokens_out: number }[]>`
      select count(*) filter (where content is not null)::int as generated,
             count(*) filter (where reject_reason = 'parse_failure')::int as parse_failures,
             coalesce(sum(tokens_in), 0)::int as tokens_in, coalesce(sum(tokens_out), 0)::int as tokens_out
      from records where batch_id = ${batchId}`;
    const reasons = await tx<{ reason: string; n: number }[]>`
      select reject_reason as reason, count(*)::int as n from records
      where batch_id = ${batchId} and status = 'rejected' group by reject_reason`;
    const summary: BatchSummary = {
      batchId,
      round,
      index,
      generated: counts.generated,
      parseFailures: counts.parse_failures,
      rejected: Object.fromEntries(reasons.map((r) => [r.reason, r.n])),
      candidates: dedupRows.length,
      tokensIn: Math.max(tokensIn, counts.tokens_in),
      tokensOut: Math.max(tokensOut, counts.tokens_out),
      sourceOffset: from,
      sourceItems: items.length,
    };
    await tx`update batches set status = 'processed', summary = ${tx.json(summary as never)} where id = ${batchId}`;
  });
  const [row] = await sql<{ summary: BatchSummary }[]>`select summary from batches where id = ${batchId}`;
  return row.summary;
}

/**
 * Runs a write of this batch in a transaction that first takes a share lock on the batch row and checks it is
 * still open. Acceptance and finalization change the row's status under an exclusive lock, so a write either
 * lands before the batch is decided or not at all.
 */
async function writeWhileOpen<T>(sql: Sql, batchId: string, write: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    const [row] = await tx<{ status: string }[]>`select status from batches where id = ${batchId} for share`;
    if (row?.status !== 'processing') throw batchClosed(batchId, row?.status ?? 'missing');
    return write(tx);
  })) as T;
}

function batchClosed(batchId: string, status: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'BatchClosed',
    message: `batch ${batchId} is ${status}: this attempt outlived its turn and writes nothing`,
    nonRetryable: true,
  });
}

/** The batch's slice [from, from + count) of the dataset's sources: chunks first, then seed records, each in id order. */
async function loadSourceItems(deps: ActivityDeps, settings: BuildSettings, from: number, count: number): Promise<SourceItem[]> {
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

/** Whether embeddings are requested from the generation endpoint (and so compete for its slots). */
function sharesLlmEndpoint(deps: ActivityDeps): boolean {
  const { embedding, llm } = deps.config;
  return embedding.provider === 'openai' && (!embedding.base_url || embedding.base_url.replace(/\/+$/, '') === llm.base_url.replace(/\/+$/, ''));
}

/** Each round asks for a different kind of variant of the seed records (rephrase, new question, harder, easier). */
function variantKinds(deps: ActivityDeps, round: number) {
  const kinds = deps.config.generation.variant_kinds;
  return [kinds[(round - 1) % kinds.length]];
}

/** Basic quality (empty, length, language) always runs; the build's own filter steps follow. */
function basicFilters(deps: ActivityDeps, settings: BuildSettings): Record<string, unknown>[] {
  const c = deps.config.curate;
  const steps: Record<string, unknown>[] = [
    { step: 'empty' },
    { step: 'length', minChars: c.min_chars, maxChars: c.max_chars },
  ];
  if (c.languages.length) steps.push({ step: 'language', keep: c.languages });
  // Grounded generation comes with its own cheap check: answers in the chunk, questions about it.
  if (settings.generationMode === 'grounded') steps.push({ step: 'source_match' });
  return [...steps, ...settings.filters];
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
