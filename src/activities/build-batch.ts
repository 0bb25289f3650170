// One batch of a build: generate candidates from a slice of the dataset's chunks / seed records, score them,
// run the filter pipeline, and prepare what dedup needs (content hash, MinHash signature, embedding).
// Resumable: every generated item is written as soon as its source item is done, so a retry skips the source
// items already in PostgreSQL and only re-does what was lost.
import type { Context } from '@temporalio/activity';
import { contentHash } from '../dedup/normalize';
import { signature, signatureToBuffer } from '../dedup/minhash';
import { generateFromText, generateVariants, judgeRecords, rewardScoreRecords } from '../generation';
import { buildFilterPipeline, runFilterPipeline } from '../quality';
import { recordText, type DatasetRecord, type RecordContent } from '../records/types';
import type { BatchSummary, BuildSettings } from '../workflows/build-settings';
import type { ActivityDeps } from './deps';

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
  chunk_id: string | null;
  seed_record_id: string | null;
  source: string | null;
}

/** Positions leave room for many items per source item: position = ordinal * 1000 + k. */
const POSITION_STRIDE = 1000;

export async function processBatchWork(
  deps: ActivityDeps,
  args: { workflowId: string; batchId: string; round: number; index: number; settings: BuildSettings },
  ctx: Context,
): Promise<BatchSummary> {
  const { sql } = deps.database;
  const { settings, batchId, round, index } = args;
  const datasetId = settings.datasetId;

  const [done] = await sql<{ summary: BatchSummary }[]>`select summary from batches where id = ${batchId}`;
  if (done) return done.summary;

  const prompts = { ...deps.config.prompts, ...(settings.prompts ?? {}) };
  const llm = deps.llm();
  const signal = ctx.cancellationSignal;
  let tokensIn = 0;
  let tokensOut = 0;
  const countUsage = (u: { promptTokens: number; completionTokens: number } | undefined) => {
    tokensIn += u?.promptTokens ?? 0;
    tokensOut += u?.completionTokens ?? 0;
  };

  // ---- generate ------------------------------------------------------------------------------------
  const items = await loadSourceItems(deps, settings, index);
  const finished = new Set(
    (await sql<{ o: number }[]>`select distinct (position / ${POSITION_STRIDE})::int as o from records where batch_id = ${batchId}`).map((r) => r.o),
  );
  let completed = finished.size;
  ctx.heartbeat({ stage: 'generate', completed, of: items.length });
  await Promise.all(
    items
      .filter((item) => !finished.has(item.ordinal))
      .map(async (item) => {
        const result =
          item.kind === 'chunk'
            ? await generateFromText(llm, {
                type: settings.type,
                text: item.text!,
                numItems: settings.itemsPerChunk,
                prompts,
                temperature: settings.temperature,
                maxTokens: settings.maxTokens,
                variation: round > 1 ? `${batchId}/${item.ordinal}` : undefined,
                signal,
              })
            : await generateVariants(llm, {
                seed: item.content!,
                kinds: variantKinds(deps, round),
                prompts,
                temperature: settings.temperature,
                maxTokens: settings.maxTokens,
                variation: `${batchId}/${item.ordinal}`,
                signal,
              }).then((r) => ({ ...r, items: r.items.map((v) => v.content) }));
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
        await sql`insert into records ${sql(
          rows.map((r) => ({
            ...r,
            dataset_id: datasetId,
            batch_id: batchId,
            round,
            type: settings.type,
            chunk_id: item.kind === 'chunk' ? item.id : null,
            seed_record_id: item.kind === 'seed' ? item.id : null,
            source: item.source,
            tokens_in: Math.round((result.usage?.promptTokens ?? 0) / Math.max(1, rows.length)),
            tokens_out: Math.round((result.usage?.completionTokens ?? 0) / Math.max(1, rows.length)),
          })),
        )} on conflict (id) do nothing`;
        completed++;
        ctx.heartbeat({ stage: 'generate', completed, of: items.length });
      }),
  );

  // ---- score ---------------------------------------------------------------------------------------
  const sourceText = new Map(items.filter((i) => i.text).map((i) => [i.id, i.text!]));
  let candidates = await sql<CandidateRow[]>`
    select id, content, chunk_id, seed_record_id, source from records
    where batch_id = ${batchId} and status = 'candidate' and score is null order by position`;
  const rejections: { id: string; reason: string; detail: string }[] = [];
  const scoreUpdates: { id: string; score: number; reasoning: string | null; reward: unknown }[] = [];
  const { mode, threshold, rewardThreshold } = settings.scoring;
  if (candidates.length && (mode === 'judge' || mode === 'both')) {
    ctx.heartbeat({ stage: 'judge', candidates: candidates.length });
    const judged = await judgeRecords(
      llm,
      candidates.map((c) => ({ id: c.id, content: c.content, sourceText: c.chunk_id ? sourceText.get(c.chunk_id) : undefined })),
      { batchSize: deps.config.curate.judge_batch_size, prompts, signal },
    );
    countUsage(judged.usage);
    const byId = new Map(judged.ratings.map((r) => [r.id, r]));
    for (const c of candidates) {
      const rating = byId.get(c.id);
      if (!rating) rejections.push({ id: c.id, reason: 'judge_failed', detail: judged.failures.find((f) => f.id === c.id)?.reason ?? 'no rating returned' });
      else {
        scoreUpdates.push({ id: c.id, score: rating.rating, reasoning: rating.reasoning, reward: null });
        if (rating.rating < threshold) rejections.push({ id: c.id, reason: 'low_score', detail: `judge ${rating.rating} < ${threshold}` });
      }
    }
  }
  if (candidates.length && (mode === 'reward' || mode === 'both')) {
    ctx.heartbeat({ stage: 'reward', candidates: candidates.length });
    const rewarded = await rewardScoreRecords(
      deps.rewardLlm(),
      candidates.map((c) => ({ id: c.id, content: c.content })),
      { parse: deps.config.reward.parse, weights: deps.config.reward.weights, signal },
    );
    countUsage(rewarded.usage);
    const byId = new Map(rewarded.scores.map((r) => [r.id, r]));
    for (const c of candidates) {
      const r = byId.get(c.id);
      if (!r) rejections.push({ id: c.id, reason: 'reward_failed', detail: rewarded.failures.find((f) => f.id === c.id)?.reason ?? 'no reward returned' });
      else {
        const existing = scoreUpdates.find((u) => u.id === c.id);
        if (existing) existing.reward = r;
        else scoreUpdates.push({ id: c.id, score: r.score, reasoning: null, reward: r });
        if (r.score < rewardThreshold) rejections.push({ id: c.id, reason: 'low_reward', detail: `reward ${r.score.toFixed(2)} < ${rewardThreshold}` });
      }
    }
  }

  // ---- filter --------------------------------------------------------------------------------------
  const rejectedIds = new Set(rejections.map((r) => r.id));
  const scoreOf = new Map(scoreUpdates.map((u) => [u.id, u.score]));
  const survivors: DatasetRecord[] = candidates
    .filter((c) => !rejectedIds.has(c.id))
    .map((c) => ({ id: c.id, content: c.content, score: scoreOf.get(c.id) ?? null, source: c.source }));
  const steps = buildFilterPipeline(basicFilters(deps, settings));
  const filtered = await runFilterPipeline(survivors, steps);
  for (const r of filtered.rejected) rejections.push({ id: r.id, reason: r.step, detail: r.reason });
  const contentById = new Map(filtered.kept.map((r) => [r.id, r.content]));

  // ---- prepare dedup: hash, MinHash signature, embedding ---------------------------------------------
  ctx.heartbeat({ stage: 'embed', kept: filtered.kept.length });
  const texts = filtered.kept.map((r) => recordText(r.content));
  const vectors = settings.dedup.semantic.enabled && texts.length ? await deps.embedder.embed(texts) : [];
  const dedupRows = filtered.kept.map((r, i) => ({
    id: r.id,
    content_hash: contentHash(r.content),
    minhash: signatureToBuffer(signature(texts[i])),
    embedding: vectors[i] ?? null,
  }));

  // ---- write it all at once, with the batch row that marks it done ------------------------------------
  const rejectedCounts: Record<string, number> = {};
  for (const r of rejections) rejectedCounts[r.reason] = (rejectedCounts[r.reason] ?? 0) + 1;
  await sql.begin(async (tx) => {
    for (const u of scoreUpdates) {
      await tx`update records set score = ${u.score}, judge_reasoning = ${u.reasoning}, reward = ${u.reward ? tx.json(u.reward as never) : null} where id = ${u.id}`;
    }
    for (const r of rejections) {
      await tx`update records set status = 'rejected', reject_reason = ${r.reason}, reject_detail = ${r.detail.slice(0, 2000)} where id = ${r.id} and status = 'candidate'`;
    }
    for (const d of dedupRows) {
      await tx`update records set content_hash = ${d.content_hash}, minhash = ${d.minhash}, embedding = ${d.embedding},
        content = ${tx.json(contentById.get(d.id) as never)} where id = ${d.id}`;
    }
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
    };
    await tx`insert into batches (id, dataset_id, round, index, status, summary)
      values (${batchId}, ${datasetId}, ${round}, ${index}, 'processed', ${tx.json(summary as never)}) on conflict (id) do nothing`;
  });
  const [row] = await sql<{ summary: BatchSummary }[]>`select summary from batches where id = ${batchId}`;
  return row.summary;
}

/** The batch's slice of the dataset's sources: chunks first, then seed records, each in id order. */
async function loadSourceItems(deps: ActivityDeps, settings: BuildSettings, index: number): Promise<SourceItem[]> {
  const { sql } = deps.database;
  const from = index * settings.batchSize;
  const to = Math.min(from + settings.batchSize, settings.chunkCount + settings.seedCount);
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
  return [...steps, ...settings.filters];
}
