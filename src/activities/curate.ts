// Curation of a whole dataset (judging, the filter pipeline, dedup and augmentation): judge the
// accepted records in batches and keep those at or above the threshold, run the filter pipeline, dedupe,
// optionally augment, and write the quality report. An imported dataset is curated too: its seed records are
// first adopted as accepted records, with ids derived from the seed ids so a retry adopts nothing twice.
// Curation is a writer of the dataset: it holds the writer lease from prepareCurate to finishCurate, and every
// change to the accepted set goes through accepted-set.ts. Removed records leave the set at once (accept_seq
// null), and finishCurate renumbers what is left 1..n, so batch ranges planned at the start stay valid meanwhile.
// Their vectors leave the dataset's LanceDB table right after the removal commits (semantic dedup ignores a
// vector whose record is no longer accepted, so the moment in between is harmless).
import { createHash } from 'node:crypto';
import { heartbeat } from '@temporalio/activity';
import type { TransactionSql } from 'postgres';
import { dedupeRecords } from '../domain/dedup';
import { augmentRecord, judgeRecords, rewardScoreRecords } from '../domain/generation';
import { buildFilterPipeline, buildQualityReport, renderQualityReportHtml, runFilterPipeline } from '../domain/quality';
import type { DatasetRecord, RecordContent } from '../domain/records/types';
import { qualityReportKeys } from '../infra/storage';
import { compactAcceptSeq, insertAccepted, lockAcceptedSet, recountAccepted } from './accepted-set';
import { removeAcceptedVectors } from './accepted-vectors';
import { dedupKeyColumns } from './batch-dedup-prep';
import { activityWriterLease } from './dataset-writer';
import { ensureDataset } from './datasets';
import type { ActivityDeps } from './deps';
import { defaultSemanticThreshold } from '../infra/vectors';
import { badInput } from './errors';
import { loadAcceptedRecords } from './export';

export interface CurateBatchResult {
  total: number;
  kept: number;
  removed: Record<string, number>;
  scoreSum: number;
  scored: number;
}

export function createCurateActivities(deps: ActivityDeps) {
  const { config, database } = deps;
  const { sql } = database;
  const writer = activityWriterLease(sql);

  async function prepareCurate(args: { datasetId: string; ownerId: string; workflowId: string }): Promise<{ total: number; maxSeq: number }> {
    const [exists] = await sql`select 1 from datasets where id = ${args.datasetId}`;
    if (!exists) throw badInput('NotFound', `dataset "${args.datasetId}" does not exist`, 'Check the id (datacreek datasets list).');
    await ensureDataset(database, { datasetId: args.datasetId, ownerId: args.ownerId });
    await writer.claim(args.datasetId, 'curate');
    let counted: { total: number; maxSeq: number };
    try {
      counted = await adoptAndCount(args.datasetId);
    } catch (err) {
      // The workflow ends (or retries this activity, which claims again) without reaching finishCurate.
      await writer.release(args.datasetId);
      throw err;
    }
    const { total, maxSeq } = counted;
    if (total === 0) {
      // The workflow ends here, before the steps that would give the lease back.
      await writer.release(args.datasetId);
      throw badInput(
        'InvalidInput',
        `dataset "${args.datasetId}" has no records to curate`,
        'Build it, or ingest a dataset file (JSON, JSONL, CSV, Parquet) into it.',
      );
    }
    return { total, maxSeq };
  }

  /** Adopts an imported dataset's seed records when nothing is accepted yet; returns the accepted set's size and last number. */
  async function adoptAndCount(datasetId: string): Promise<{ total: number; maxSeq: number }> {
    return sql.begin(async (tx) => {
      const before = await lockAcceptedSet(tx, datasetId);
      if (before.accepted === 0) await adoptSeedRecords(tx, datasetId);
      const after = await lockAcceptedSet(tx, datasetId);
      await recountAccepted(tx, datasetId);
      return { total: after.accepted, maxSeq: after.nextSeq - 1 };
    });
  }

  /** Imported records become accepted records of the dataset, in their file order (identical rows once). */
  async function adoptSeedRecords(tx: TransactionSql, datasetId: string): Promise<void> {
    const seeds = await tx<{ id: string; content: RecordContent; file_name: string }[]>`
      select r.id, r.content, s.file_name from seed_records r join sources s on s.id = r.source_id
      where r.dataset_id = ${datasetId} order by s.id, r.position`;
    const rows = seeds.map((seed, position) => ({
      id: `import/${seed.id}`,
      batch_id: `${datasetId}/import`,
      round: 0,
      position,
      type: seed.content.type,
      content: tx.json(seed.content as never),
      // The keys a build's dedup looks accepted records up by: the hash for exact, the signature for near duplicates.
      ...dedupKeyColumns(seed.content),
      seed_record_id: seed.id,
      source: seed.file_name,
    }));
    for (let i = 0; i < rows.length; i += 1000) await insertAccepted(tx, datasetId, rows.slice(i, i + 1000));
  }

  async function curateBatch(args: {
    datasetId: string;
    fromSeq: number;
    toSeq: number;
    threshold: number;
    scoring: 'judge' | 'reward' | 'both' | 'none';
    filters: Record<string, unknown>[];
  }): Promise<CurateBatchResult> {
    const rows = await sql<{ id: string; content: RecordContent; score: number | null; source: string | null; chunk_id: string | null }[]>`
      select id, content, score, source, chunk_id from records
      where dataset_id = ${args.datasetId} and status = 'accepted' and accept_seq between ${args.fromSeq} and ${args.toSeq}
      order by accept_seq`;
    const removed: Record<string, number> = {};
    const reject: { id: string; reason: string; detail: string }[] = [];
    const scores = new Map<string, number>();
    const prompts = config.prompts;
    if (rows.length && (args.scoring === 'judge' || args.scoring === 'both')) {
      const judged = await judgeRecords(
        deps.llm(),
        rows.map((r) => ({ id: r.id, content: r.content })),
        {
          batchSize: config.curate.judge_batch_size,
          prompts,
        },
      );
      for (const j of judged.ratings) {
        scores.set(j.id, j.rating);
        if (j.rating < args.threshold) reject.push({ id: j.id, reason: 'curate_low_score', detail: `judge ${j.rating} < ${args.threshold}` });
      }
      for (const f of judged.failures) reject.push({ id: f.id, reason: 'curate_judge_failed', detail: f.reason });
      heartbeat({ judged: judged.ratings.length });
    }
    if (rows.length && (args.scoring === 'reward' || args.scoring === 'both')) {
      const rewarded = await rewardScoreRecords(
        deps.rewardLlm(),
        rows.map((r) => ({ id: r.id, content: r.content })),
        {
          parse: config.reward.parse,
          weights: config.reward.weights,
        },
      );
      for (const r of rewarded.scores) {
        if (!scores.has(r.id)) scores.set(r.id, r.score);
        if (r.score < config.reward.threshold)
          reject.push({ id: r.id, reason: 'curate_low_reward', detail: `reward ${r.score.toFixed(2)} < ${config.reward.threshold}` });
      }
      for (const f of rewarded.failures) reject.push({ id: f.id, reason: 'curate_reward_failed', detail: f.reason });
    }
    const rejected = new Set(reject.map((r) => r.id));
    const survivors: DatasetRecord[] = rows
      .filter((r) => !rejected.has(r.id))
      .map((r) => ({ id: r.id, content: r.content, score: scores.get(r.id) ?? r.score, source: r.source }));
    const outcome = await runFilterPipeline(survivors, buildFilterPipeline(args.filters));
    for (const r of outcome.rejected) reject.push({ id: r.id, reason: r.step, detail: r.reason });
    const modified = new Set(outcome.modified.map((m) => m.id));

    await sql.begin(async (tx) => {
      for (const [id, score] of scores) await tx`update records set score = ${score} where id = ${id}`;
      for (const r of outcome.kept.filter((k) => modified.has(k.id))) {
        // A filter changed the content (PII redaction, cleaning): its dedup keys follow it.
        const keys = dedupKeyColumns(r.content);
        await tx`update records set content = ${tx.json(r.content as never)}, content_hash = ${keys.content_hash}, minhash = ${keys.minhash} where id = ${r.id}`;
      }
      await removeFromAcceptedSet(tx, args.datasetId, reject);
    });
    await removeAcceptedVectors(
      deps,
      args.datasetId,
      reject.map((r) => r.id),
    );
    for (const r of reject) removed[r.reason] = (removed[r.reason] ?? 0) + 1;
    const scored = [...scores.values()];
    return { total: rows.length, kept: rows.length - reject.length, removed, scoreSum: scored.reduce((a, b) => a + b, 0), scored: scored.length };
  }

  async function curateDedup(args: { datasetId: string }): Promise<Record<string, number>> {
    const records = await loadAcceptedRecords(deps, args.datasetId);
    const result = await dedupeRecords(
      records,
      {
        exact: config.dedup.exact,
        minhash: { enabled: config.dedup.minhash.enabled, threshold: config.dedup.minhash.threshold },
        semantic: { enabled: config.dedup.semantic.enabled, threshold: config.dedup.semantic.threshold ?? defaultSemanticThreshold(deps.embedder.kind) },
      },
      (texts: string[]) => deps.embedder.embed(texts),
    );
    const removed: Record<string, number> = {};
    for (const d of result.duplicates) removed[d.reason] = (removed[d.reason] ?? 0) + 1;
    await sql.begin((tx) =>
      removeFromAcceptedSet(
        tx,
        args.datasetId,
        result.duplicates.map((d) => ({ id: d.id, reason: d.reason, detail: `duplicate of ${d.duplicateOf}` })),
      ),
    );
    await removeAcceptedVectors(
      deps,
      args.datasetId,
      result.duplicates.map((d) => d.id),
    );
    return removed;
  }

  async function augmentDataset(args: {
    datasetId: string;
    workflowId: string;
    kinds: ('paraphrase' | 'easier' | 'harder' | 'format_variation')[];
    ratio: number;
  }): Promise<number> {
    const records = await loadAcceptedRecords(deps, args.datasetId);
    // A deterministic choice of records to augment: the same dataset and ratio always pick the same ones.
    const chosen = records
      .filter((r) => !r.id.startsWith('augment/'))
      .map((r) => ({ r, key: createHash('sha256').update(`${args.workflowId}:${r.id}`).digest('hex') }))
      .sort((a, b) => a.key.localeCompare(b.key))
      .slice(0, Math.round(records.length * args.ratio))
      .map((x) => x.r);
    const made: { id: string; content: RecordContent; source: string | null; origin: string; kind: string }[] = [];
    await Promise.all(
      chosen.flatMap((record) =>
        args.kinds.map(async (kind) => {
          const result = await augmentRecord(deps.llm(), record.content, kind, { prompts: config.prompts, variation: `${record.id}/${kind}` });
          result.items.forEach((content, k) =>
            made.push({ id: `augment/${record.id}/${kind}/${k}`, content, source: record.source ?? null, origin: record.id, kind }),
          );
          heartbeat({ made: made.length });
        }),
      ),
    );
    made.sort((a, b) => a.id.localeCompare(b.id));
    const added = await sql.begin((tx) =>
      insertAccepted(
        tx,
        args.datasetId,
        made.map((m, position) => ({
          id: m.id,
          batch_id: `${args.workflowId}/augment`,
          round: 0,
          position,
          type: m.content.type,
          content: tx.json(m.content as never),
          ...dedupKeyColumns(m.content),
          source: m.source,
          reject_detail: `augmentation (${m.kind}) of ${m.origin}`,
        })),
      ),
    );
    return added.length;
  }

  /** Writes the report's JSON and HTML to the object store, each object whole; returns where they are. */
  async function writeQualityReport(args: { datasetId: string }): Promise<{ json: string; html: string }> {
    const records = await loadAcceptedRecords(deps, args.datasetId);
    const report = buildQualityReport(records, { title: `Quality report: ${args.datasetId}` });
    const store = deps.objectStore();
    const keys = qualityReportKeys(args.datasetId);
    await store.put(keys.json, JSON.stringify(report, null, 2), { contentType: 'application/json' });
    await store.put(keys.html, renderQualityReportHtml(report), { contentType: 'text/html; charset=utf-8' });
    return { json: store.locate(keys.json), html: store.locate(keys.html) };
  }

  /**
   * Ends a curation, whether it succeeded, failed or was cancelled: the accepted set is renumbered 1..n (removed
   * records left gaps), the dataset's count is brought in line, and the writer lease is given back.
   */
  async function finishCurate(args: { datasetId: string }): Promise<number> {
    const accepted = await sql.begin(async (tx) => {
      await lockAcceptedSet(tx, args.datasetId);
      await compactAcceptSeq(tx, args.datasetId);
      return (await recountAccepted(tx, args.datasetId)).accepted;
    });
    await writer.release(args.datasetId);
    return accepted;
  }

  return { prepareCurate, curateBatch, curateDedup, augmentDataset, writeQualityReport, finishCurate };
}

/**
 * Takes records out of the accepted set, each with its reason: they become `rejected` and give up their
 * acceptance number. Only records still accepted are touched, so a retried batch changes nothing twice.
 */
async function removeFromAcceptedSet(tx: TransactionSql, datasetId: string, removals: { id: string; reason: string; detail: string }[]): Promise<void> {
  if (removals.length === 0) return;
  await lockAcceptedSet(tx, datasetId);
  await tx`
    update records set status = 'rejected', accept_seq = null, reject_reason = v.reason, reject_detail = v.detail
    from unnest(${removals.map((r) => r.id)}::text[], ${removals.map((r) => r.reason)}::text[], ${removals.map((r) => r.detail.slice(0, 2000))}::text[])
      as v(id, reason, detail)
    where records.id = v.id and records.dataset_id = ${datasetId} and records.status = 'accepted'`;
}

export type CurateActivities = ReturnType<typeof createCurateActivities>;
