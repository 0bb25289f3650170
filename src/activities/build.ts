// Build activities: prepare (resolve settings), process a batch (generate → score → filter), accept a batch
// (dedupe → accept up to the remaining target), finalize. All writes are keyed by deterministic ids, so a
// retried activity or a restarted worker continues from what PostgreSQL already holds.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { TransactionSql } from 'postgres';
import type { DatacreekConfig } from '../infra/config';
import { validatePromptTemplates } from '../domain/generation';
import type { BuildProgress, ParsedBuildInput } from '../workflows/build-input';
import type { AcceptSummary, BatchSummary, BuildSettings } from '../workflows/build-settings';
import { buildId } from '../workflows/ids';
import { defaultPrior, type YieldPrior } from '../workflows/launch-policy';
import { lockAcceptedSet, recountAccepted } from './accepted-set';
import { acceptCandidates, type AcceptArgs } from './build-accept';
import { maintainDatasetVectorTables } from './accepted-vectors';
import { processBatchWork, type BatchArgs } from './build-batch';
import { activityWriterLease } from './dataset-writer';
import { ensureDataset } from './datasets';
import type { ActivityDeps } from './deps';
import { badInput } from './errors';
import { resolveBuildPipeline } from './pipeline-generation';
import { PipelineValidationError } from '../domain/pipelines';
import { candidateVectorTableName, defaultSemanticThreshold, recordTableName, type Embedder } from '../infra/vectors';

/**
 * A fresh build sets the dataset's accepted records aside as `superseded` (kept, never exported or counted, no
 * longer numbered) and closes what earlier builds left open, so the new build starts from an empty accepted set.
 */
async function supersedeAccepted(tx: TransactionSql, datasetId: string): Promise<void> {
  await tx`update records set status = 'superseded', accept_seq = null, reject_reason = 'fresh_build',
      reject_detail = 'set aside when a fresh build of the dataset started'
    where dataset_id = ${datasetId} and status = 'accepted'`;
  await recountAccepted(tx, datasetId);
}

export function resolveBuildSettings(
  config: DatacreekConfig,
  input: ParsedBuildInput,
  counts: { chunks: number; seeds: number },
  type: string,
  embedderKind: Embedder['kind'],
): BuildSettings {
  const useChunks = input.sources?.chunks ?? true;
  const useSeeds = input.sources?.seeds ?? true;
  const chunkCount = useChunks ? counts.chunks : 0;
  const seedCount = useSeeds ? counts.seeds : 0;
  const batchSize = input.batchSize ?? config.generation.batch_size;
  const dedup = input.dedup ?? {};
  return {
    datasetId: input.datasetId,
    ownerId: input.ownerId,
    type: (input.type ?? type ?? config.generation.type) as BuildSettings['type'],
    target: input.target,
    maxRounds: input.maxRounds ?? config.generation.max_rounds,
    tokenBudget: input.tokenBudget ?? config.generation.token_budget,
    batchSize,
    concurrency: input.concurrency ?? batchesToFillEndpoint(config, batchSize),
    itemsPerChunk: input.itemsPerChunk ?? config.generation.items_per_chunk,
    chunkCount,
    seedCount,
    batchesPerRound: Math.ceil((chunkCount + seedCount) / batchSize),
    scoring: {
      mode: input.scoring?.mode ?? config.curate.scoring,
      threshold: input.scoring?.threshold ?? config.curate.threshold,
      rewardThreshold: input.scoring?.rewardThreshold ?? config.reward.threshold,
    },
    dedup: {
      exact: dedup.exact ?? config.dedup.exact,
      minhash: {
        enabled: dedup.minhash?.enabled ?? config.dedup.minhash.enabled,
        threshold: dedup.minhash?.threshold ?? config.dedup.minhash.threshold,
      },
      semantic: {
        enabled: dedup.semantic?.enabled ?? config.dedup.semantic.enabled,
        threshold: dedup.semantic?.threshold ?? config.dedup.semantic.threshold ?? defaultSemanticThreshold(embedderKind),
      },
    },
    filters: input.filters ?? config.curate.filters,
    temperature: input.generation?.temperature ?? config.llm.temperature,
    maxTokens: input.generation?.maxTokens ?? config.llm.max_tokens,
    generationMode: resolveGenerationMode(input.generation?.mode ?? 'auto', config),
    prompts: input.prompts,
    pipeline: input.pipeline,
    heartbeatTimeoutMs: config.worker.heartbeat_timeout_ms,
  };
}

/** `auto` is the worker's own setting, which the local provider has already turned into `grounded`. */
function resolveGenerationMode(mode: 'auto' | 'free' | 'grounded', config: DatacreekConfig): 'free' | 'grounded' {
  const chosen = mode === 'auto' ? config.generation.mode : mode;
  return chosen === 'grounded' ? 'grounded' : 'free';
}

/**
 * How many source items the batches in flight should hold per endpoint slot. Each batch has requests ready
 * only part of its life (its last judge calls, its embedding and its write leave slots free), so the batches
 * in flight together hold several slots' worth; the generation gate keeps the extra ones from delaying the
 * oldest batches, and the workflow stops launching once what is in flight will likely meet the target.
 */
const SOURCE_ITEMS_PER_SLOT = 3;

/**
 * Batches in flight when the build input does not say: generation.max_batches_in_flight, raised so that the
 * batches hold SOURCE_ITEMS_PER_SLOT × llm.concurrency source items (a batch of 8 against 32 slots → 12), and
 * kept below the worker's activity slots so an acceptance always finds one.
 */
export function batchesToFillEndpoint(config: DatacreekConfig, batchSize: number): number {
  const toFill = Math.ceil((SOURCE_ITEMS_PER_SLOT * config.llm.concurrency) / batchSize);
  const workerRoom = Math.max(1, config.worker.max_concurrent_activities - 1);
  return Math.max(1, Math.min(64, workerRoom, Math.max(config.generation.max_batches_in_flight, toFill)));
}

/** What a build generated and left as surplus, counted from its records when it ends. */
export interface FinalCounts {
  generated: number;
  surplus: number;
}

/** Rejections by dedup, as opposed to scoring and filters. */
const DUPLICATE_REASONS = ['exact_duplicate', 'near_duplicate', 'semantic_duplicate'];
/** Earlier builds that generated fewer candidates than this say too little to replace the default prior. */
const MIN_CANDIDATES_FOR_PRIOR = 20;

export function createBuildActivities(deps: ActivityDeps) {
  const { config, database } = deps;
  const { sql } = database;

  /** Counts the sources, then opens the build's epoch (or finds the one a retried prepare opened). */
  async function openBuild(input: ParsedBuildInput, workflowId: string, runKey: string | undefined, datasetType: string): Promise<BuildSettings> {
    const [counts] = await sql<{ chunks: number; seeds: number }[]>`
      select (select count(*)::int from chunks where dataset_id = ${input.datasetId}) as chunks,
             (select count(*)::int from seed_records where dataset_id = ${input.datasetId}) as seeds`;
    const resolved = resolveBuildSettings(config, input, counts, datasetType, deps.embedder.kind);
    if (resolved.chunkCount + resolved.seedCount === 0) {
      throw badInput(
        'InvalidInput',
        `dataset "${input.datasetId}" has no chunks or seed records to generate from`,
        'Ingest documents or a dataset file first: datacreek ingest <path> --dataset ' + input.datasetId,
      );
    }
    // Read before this build opens: its own batches do not exist yet, so every accepted batch is an earlier build's.
    const launchPrior = await earlierYield(input.datasetId, resolved.scoring.mode);
    const key = runKey ?? Context.current().info.workflowExecution?.runId ?? workflowId;
    return sql.begin(async (tx) => {
      const [open] = await tx<{ settings: BuildSettings }[]>`select settings from builds where run_key = ${key}`;
      if (open) return open.settings;
      await lockAcceptedSet(tx, input.datasetId);
      if (input.fresh) await supersedeAccepted(tx, input.datasetId);
      const { accepted } = await lockAcceptedSet(tx, input.datasetId);
      if (resolved.target < accepted) {
        throw badInput(
          'InvalidInput',
          `dataset "${input.datasetId}" already holds ${accepted} accepted records, more than the target ${resolved.target}`,
          `A target counts the records the dataset holds: build to ${accepted} or more, or start over with --fresh.`,
        );
      }
      const [last] = await tx<{ epoch: number; rounds: number }[]>`
        select coalesce(max(epoch), 0)::int as epoch,
               coalesce((select max(round) from batches where dataset_id = ${input.datasetId}), 0)::int as rounds
        from builds where dataset_id = ${input.datasetId}`;
      const epoch = last.epoch + 1;
      const built: BuildSettings = {
        ...resolved,
        buildId: buildId(input.datasetId, epoch),
        epoch,
        firstRound: last.rounds + 1,
        acceptedBefore: accepted,
        fresh: input.fresh ?? false,
        ...(launchPrior ? { launchPrior } : {}),
      };
      await tx`insert into builds (id, dataset_id, epoch, run_key, fresh, settings, accepted_before, first_round)
        values (${built.buildId!}, ${input.datasetId}, ${epoch}, ${key}, ${built.fresh!}, ${tx.json(built as never)}, ${accepted}, ${built.firstRound!})`;
      await tx`update datasets set status = 'building', target = ${built.target}, type = ${built.type},
          stop_reason = null, updated_at = now()
        where id = ${input.datasetId}`;
      // This workflow id served earlier builds of the dataset: their final progress gives way to this build's.
      await tx`delete from build_progress where workflow_id = ${workflowId}`;
      await tx`insert into tasks (id, owner_id, dataset_id, kind, workflow_type)
        values (${workflowId}, ${input.ownerId}, ${input.datasetId}, 'build', 'buildDataset') on conflict (id) do nothing`;
      return built;
    });
  }

  /**
   * Resolves the build's settings and opens the build: the next epoch of the dataset, keyed by the workflow
   * execution's first run id so a retried prepare finds the build it opened. A build continues from what the
   * dataset holds (its target counts those records) unless it is `fresh`, which sets them aside first.
   */
  async function prepareBuild({ input, workflowId, runKey }: { input: ParsedBuildInput; workflowId: string; runKey?: string }): Promise<BuildSettings> {
    const prompts = { ...config.prompts, ...(input.prompts ?? {}) };
    try {
      validatePromptTemplates(prompts);
    } catch (err) {
      throw badInput('InvalidInput', (err as Error).message, 'Fix the prompt template: every required placeholder must appear.');
    }
    if (input.pipeline) {
      try {
        resolveBuildPipeline(config, input.pipeline);
      } catch (err) {
        if (err instanceof PipelineValidationError) throw badInput('InvalidInput', err.message, err.hint);
        throw err;
      }
    }
    const dataset = await ensureDataset(database, { datasetId: input.datasetId, ownerId: input.ownerId, type: input.type });
    const lease = activityWriterLease(sql);
    await lease.claim(input.datasetId, 'build', runKey);
    let settings: BuildSettings;
    try {
      settings = await openBuild(input, workflowId, runKey, dataset.type);
    } catch (err) {
      // A refusal ends the workflow before finalizeBuild, which would give the lease back: give it back here.
      if (err instanceof ApplicationFailure && err.nonRetryable) await lease.release(input.datasetId);
      throw err;
    }
    // A fresh build starts semantic dedup and search from nothing: the superseded records' vectors go.
    if (settings.fresh) {
      const store = await deps.vectors();
      await store.dropTable(recordTableName(input.datasetId));
      await store.dropTable(candidateVectorTableName(input.datasetId));
    }
    return settings;
  }

  /**
   * The yield of the dataset's earlier builds, from their accepted batches (where every candidate was scored,
   * filtered and checked for duplicates): the share passing scoring and filters, and the share of those that were
   * not duplicates. The pass share only carries over to a build that scores too; unscored builds keep the default.
   */
  async function earlierYield(datasetId: string, scoring: BuildSettings['scoring']['mode']): Promise<YieldPrior | undefined> {
    const [row] = await sql<{ generated: number; failed: number; duplicates: number; kept: number }[]>`
      select count(*) filter (where r.content is not null)::int as generated,
             count(*) filter (where r.status = 'rejected' and r.content is not null and r.reject_reason not in ${sql(DUPLICATE_REASONS)})::int as failed,
             count(*) filter (where r.status = 'rejected' and r.reject_reason in ${sql(DUPLICATE_REASONS)})::int as duplicates,
             count(*) filter (where r.status in ('accepted', 'surplus', 'superseded'))::int as kept
      from records r join batches b on b.id = r.batch_id
      where r.dataset_id = ${datasetId} and b.dataset_id = ${datasetId} and b.status = 'accepted'`;
    if (!row || row.generated < MIN_CANDIDATES_FOR_PRIOR || row.kept + row.duplicates === 0) return undefined;
    const fallback = defaultPrior(scoring);
    return {
      pass: scoring === 'none' ? fallback.pass : (row.generated - row.failed) / row.generated,
      keep: row.kept / (row.kept + row.duplicates),
    };
  }

  async function processBatch(args: BatchArgs): Promise<BatchSummary> {
    return processBatchWork(deps, args, Context.current());
  }

  async function acceptBatch(args: AcceptArgs & { workflowId: string; progress: BuildProgress }): Promise<AcceptSummary> {
    const summary = await acceptCandidates(deps, args, Context.current());
    await saveProgress(args.workflowId, args.settings.datasetId, {
      ...args.progress,
      accepted: summary.acceptedTotal ?? args.progress.accepted + summary.accepted,
    });
    return summary;
  }

  /**
   * Ends a build: nothing is left a bare candidate (surplus when the build completed or was cancelled, rejected with
   * the failure when it failed), batches still open are closed so a late attempt cannot add to them, and the
   * dataset's status and count come from the records. Runs under the dataset row's lock, after the workflow has
   * waited for every batch and acceptance to stop.
   */
  async function finalizeBuild(args: {
    workflowId: string;
    datasetId: string;
    buildId?: string;
    status: 'completed' | 'cancelled' | 'failed';
    progress: BuildProgress;
    error?: string;
  }): Promise<FinalCounts> {
    const owner = args.buildId ?? args.workflowId;
    const counts = await sql.begin(async (tx) => {
      await lockAcceptedSet(tx, args.datasetId);
      if (args.status === 'failed') {
        await tx`update records set status = 'rejected', reject_reason = 'build_failed',
            reject_detail = ${(args.error ?? 'the build failed').slice(0, 2000)}
          where dataset_id = ${args.datasetId} and status = 'candidate' and batch_id like ${owner + '/%'}`;
      } else {
        const reason = args.status === 'cancelled' ? 'build_cancelled' : 'target_reached';
        await tx`update records set status = 'surplus', reject_reason = ${reason}
          where dataset_id = ${args.datasetId} and status = 'candidate' and batch_id like ${owner + '/%'}`;
      }
      await tx`update batches set status = 'closed' where dataset_id = ${args.datasetId} and status in ('processing', 'processed') and id like ${owner + '/%'}`;
      await recountAccepted(tx, args.datasetId);
      await tx`update datasets set status = ${args.status}, stop_reason = ${args.progress.stopReason ?? null},
          target = ${args.progress.target}, updated_at = now()
        where id = ${args.datasetId}`;
      if (args.buildId) {
        await tx`update builds set status = ${args.status}, stop_reason = ${args.progress.stopReason ?? null}, ended_at = now()
          where id = ${args.buildId}`;
      }
      // Batches cancelled while generating (no longer needed) never reported what they generated: count it here.
      const [final] = await tx<FinalCounts[]>`
        select count(*) filter (where content is not null)::int as generated, count(*) filter (where status = 'surplus')::int as surplus
        from records where dataset_id = ${args.datasetId} and batch_id like ${owner + '/%'}`;
      return final;
    });
    // Accepted vectors are already in LanceDB (acceptance writes them); the candidates' handoff table is done with.
    const store = await deps.vectors();
    await store.dropTable(candidateVectorTableName(args.datasetId));
    // The candidates table is gone now, so only the accepted-vector table is maintained.
    await maintainDatasetVectorTables(deps, args.datasetId);
    await saveProgress(args.workflowId, args.datasetId, { ...args.progress, ...counts }, { final: true });
    await activityWriterLease(sql).release(args.datasetId);
    return counts;
  }

  /**
   * Mirrors a build's progress to PostgreSQL. A running build's progress never overwrites a final one: an
   * acceptance that finishes after the build ended must not make it look running again.
   */
  async function saveProgress(workflowId: string, datasetId: string, progress: BuildProgress, opts: { final?: boolean } = {}): Promise<void> {
    if (opts.final) {
      await sql`insert into build_progress (workflow_id, dataset_id, progress, updated_at)
        values (${workflowId}, ${datasetId}, ${sql.json(progress as never)}, now())
        on conflict (workflow_id) do update set progress = excluded.progress, updated_at = now()`;
      return;
    }
    await sql`insert into build_progress (workflow_id, dataset_id, progress, updated_at)
      values (${workflowId}, ${datasetId}, ${sql.json(progress as never)}, now())
      on conflict (workflow_id) do update set progress = excluded.progress, updated_at = now()
      where build_progress.progress->>'status' not in ('completed', 'cancelled', 'failed')`;
  }

  return { prepareBuild, processBatch, acceptBatch, finalizeBuild };
}

export type BuildActivities = ReturnType<typeof createBuildActivities>;
