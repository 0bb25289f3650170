// One batch of a build: generate candidates from a slice of the dataset's chunks / seed records, score them,
// run the filter pipeline, and prepare what dedup needs (content hash, MinHash signature, embedding). Each stage
// lives in its own file (batch-generate, batch-score, batch-filter, batch-dedup-prep); this one runs them in order
// and writes the batch's outcome.
// Generation and scoring overlap: each source item's candidates go to the judge as soon as a judge call's
// worth of them exists, so the endpoint's slots never wait for the batch's slowest generation call.
// Resumable: every generated item is written as soon as its source item is done and every score as soon as
// its judge call is, so a retry skips what PostgreSQL already holds and only re-does what was lost.
import type { Context } from '@temporalio/activity';
import type { BatchArgs, BatchSummary } from '../workflows/build-settings';
import { prepareDedup, sharesLlmEndpoint } from './batch-dedup-prep';
import { filterCandidates } from './batch-filter';
import { generateCandidates, loadSourceItems } from './batch-generate';
import { batchClosed, isBatchClosed, writeWhileOpen, type BatchRun } from './batch-run';
import { startScoring } from './batch-score';
import { batchPriority, endpointGate } from './build-gate';
import { writeDedupPrep, writeRejections } from './build-writes';
import type { ActivityDeps } from './deps';
import { reportProgress } from './keep-alive';

export type { BatchArgs } from '../workflows/build-settings';

export async function processBatchWork(deps: ActivityDeps, args: BatchArgs, ctx: Context): Promise<BatchSummary> {
  try {
    return await processOpenBatch(deps, args, ctx);
  } catch (error) {
    // An earlier attempt of this batch that outlived its heartbeat (its worker frozen past the timeout, then going
    // on) finished the batch while this attempt was under way: what it wrote is the batch's outcome, so this
    // attempt reports that instead of failing the build. A batch closed any other way stays a BatchClosed failure.
    if (isBatchClosed(error)) {
      const finished = await finishedBatchSummary(deps.database.sql, args.batchId);
      if (finished) return finished;
    }
    throw error;
  }
}

async function finishedBatchSummary(sql: ActivityDeps['database']['sql'], batchId: string): Promise<BatchSummary | null> {
  const batch = await readBatch(sql, batchId);
  return batch && isFinished(batch.status) ? batch.summary : null;
}

async function readBatch(sql: ActivityDeps['database']['sql'], batchId: string): Promise<{ status: string; summary: BatchSummary } | undefined> {
  const [batch] = await sql<{ status: string; summary: BatchSummary }[]>`select status, summary from batches where id = ${batchId}`;
  return batch;
}

/** A batch whose processing is done (waiting for acceptance, or accepted): its stored summary is its outcome. */
function isFinished(status: string): boolean {
  return status === 'processed' || status === 'accepted';
}

async function processOpenBatch(deps: ActivityDeps, args: BatchArgs, ctx: Context): Promise<BatchSummary> {
  const { sql } = deps.database;
  const { settings, batchId, round, index } = args;
  const datasetId = settings.datasetId;

  // The batch row is opened before any candidate is written; candidates are written only while it is open.
  await sql`insert into batches (id, dataset_id, round, index, status, summary)
    values (${batchId}, ${datasetId}, ${round}, ${index}, 'processing', '{}'::jsonb) on conflict (id) do nothing`;
  const batch = await readBatch(sql, batchId);
  if (batch && isFinished(batch.status)) return batch.summary;
  if (batch?.status !== 'processing') throw batchClosed(batchId, batch?.status ?? 'missing');

  const llm = deps.llm();
  const gate = endpointGate(llm.endpoint, deps.config.llm.concurrency);
  const signal = ctx.cancellationSignal;
  const inTurn = <T>(call: () => Promise<T>) => gate.run(batchPriority(round, index), call, signal);
  let tokensIn = 0;
  let tokensOut = 0;
  const run: BatchRun = {
    deps,
    sql,
    settings,
    batchId,
    round,
    index,
    llm,
    prompts: { ...deps.config.prompts, ...(settings.prompts ?? {}) },
    signal,
    inTurn,
    // Embeddings from the LLM endpoint itself share its slots, so they take their turn too.
    embedInTurn: sharesLlmEndpoint(deps) ? inTurn : <T>(call: () => Promise<T>) => call(),
    countUsage: (u) => {
      tokensIn += u?.promptTokens ?? 0;
      tokensOut += u?.completionTokens ?? 0;
    },
  };

  // ---- generate, and score as candidates arrive --------------------------------------------------------
  const from = args.sourceOffset ?? index * settings.batchSize;
  const items = await loadSourceItems(deps, settings, from, args.sourceCount ?? settings.batchSize);
  const sourceText = new Map(items.filter((i) => i.text).map((i) => [i.id, i.text!]));
  const scorer = await startScoring(run, sourceText);
  const completed = await generateCandidates(run, items, scorer, ctx);
  reportProgress(ctx, { stage: 'score', completed, of: items.length });
  await scorer.finish();

  // ---- filter --------------------------------------------------------------------------------------
  const { kept, rejections, changed, unkeyed } = await filterCandidates(run, sourceText);

  // ---- prepare dedup: hash, MinHash signature, embedding ---------------------------------------------
  reportProgress(ctx, { stage: 'embed', kept: kept.length });
  const { rows: keyRewrites, writeVectors } = await prepareDedup(run, kept, changed, unkeyed);

  // ---- write it all at once, with the batch row that marks it done ------------------------------------
  await writeWhileOpen(sql, batchId, async (tx) => {
    // PostgreSQL and LanceDB are written at the same time: the batch's write costs the slower of the two.
    await Promise.all([
      (async () => {
        await writeRejections(tx, rejections);
        await writeDedupPrep(tx, keyRewrites);
      })(),
      writeVectors(),
    ]);
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
      candidates: kept.length,
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
