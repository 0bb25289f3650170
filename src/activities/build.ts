// Build activities: prepare (resolve settings), process a batch (generate → score → filter), accept a batch
// (dedupe → accept up to the remaining target), finalize. All writes are keyed by deterministic ids, so a
// retried activity or a restarted worker continues from what PostgreSQL already holds.
import { Context } from '@temporalio/activity';
import type { DatacreekConfig } from '../config/schema';
import { validatePromptTemplates } from '../generation';
import type { BuildProgress, ParsedBuildInput } from '../workflows/build-input';
import type { AcceptSummary, BatchSummary, BuildSettings } from '../workflows/build-settings';
import { defaultPrior, type YieldPrior } from '../workflows/launch-policy';
import { acceptCandidates, syncAcceptedVectors } from './build-accept';
import { processBatchWork, type BatchArgs } from './build-batch';
import { ensureDataset } from './datasets';
import type { ActivityDeps } from './deps';
import { badInput } from './errors';

export function resolveBuildSettings(config: DatacreekConfig, input: ParsedBuildInput, counts: { chunks: number; seeds: number }, type: string): BuildSettings {
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
        threshold: dedup.semantic?.threshold ?? config.dedup.semantic.threshold,
      },
    },
    filters: input.filters ?? config.curate.filters,
    temperature: input.generation?.temperature ?? config.llm.temperature,
    maxTokens: input.generation?.maxTokens ?? config.llm.max_tokens,
    prompts: input.prompts,
    heartbeatTimeoutMs: config.worker.heartbeat_timeout_ms,
  };
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

/** Rejections by dedup, as opposed to scoring and filters. */
const DUPLICATE_REASONS = ['exact_duplicate', 'near_duplicate', 'semantic_duplicate'];
/** Earlier builds that generated fewer candidates than this say too little to replace the default prior. */
const MIN_CANDIDATES_FOR_PRIOR = 20;

export function createBuildActivities(deps: ActivityDeps) {
  const { config, database } = deps;
  const { sql } = database;

  async function prepareBuild({ input, workflowId }: { input: ParsedBuildInput; workflowId: string }): Promise<BuildSettings> {
    const prompts = { ...config.prompts, ...(input.prompts ?? {}) };
    try {
      validatePromptTemplates(prompts);
    } catch (err) {
      throw badInput('InvalidInput', (err as Error).message, 'Fix the prompt template: every required placeholder must appear.');
    }
    const dataset = await ensureDataset(database, { datasetId: input.datasetId, ownerId: input.ownerId, type: input.type });
    const [counts] = await sql<{ chunks: number; seeds: number }[]>`
      select (select count(*)::int from chunks where dataset_id = ${input.datasetId}) as chunks,
             (select count(*)::int from seed_records where dataset_id = ${input.datasetId}) as seeds`;
    const settings = resolveBuildSettings(config, input, counts, dataset.type);
    const launchPrior = await earlierYield(input.datasetId, workflowId, settings.scoring.mode);
    if (launchPrior) settings.launchPrior = launchPrior;
    if (settings.chunkCount + settings.seedCount === 0) {
      throw badInput(
        'InvalidInput',
        `dataset "${input.datasetId}" has no chunks or seed records to generate from`,
        'Ingest documents or a dataset file first: datacreek ingest <path> --dataset ' + input.datasetId,
      );
    }
    await sql`
      update datasets set status = 'building', target = ${settings.target}, type = ${settings.type},
        stop_reason = null, updated_at = now()
      where id = ${input.datasetId}`;
    await sql`insert into tasks (id, owner_id, dataset_id, kind, workflow_type)
      values (${workflowId}, ${input.ownerId}, ${input.datasetId}, 'build', 'buildDataset') on conflict (id) do nothing`;
    return settings;
  }

  /**
   * The yield of the dataset's earlier builds, from their accepted batches (where every candidate was scored,
   * filtered and checked for duplicates): the share passing scoring and filters, and the share of those that were
   * not duplicates. The pass share only carries over to a build that scores too; unscored builds keep the default.
   */
  async function earlierYield(datasetId: string, workflowId: string, scoring: BuildSettings['scoring']['mode']): Promise<YieldPrior | undefined> {
    const [row] = await sql<{ generated: number; failed: number; duplicates: number; kept: number }[]>`
      select count(*) filter (where r.content is not null)::int as generated,
             count(*) filter (where r.status = 'rejected' and r.content is not null and r.reject_reason not in ${sql(DUPLICATE_REASONS)})::int as failed,
             count(*) filter (where r.status = 'rejected' and r.reject_reason in ${sql(DUPLICATE_REASONS)})::int as duplicates,
             count(*) filter (where r.status in ('accepted', 'surplus'))::int as kept
      from records r join batches b on b.id = r.batch_id
      where r.dataset_id = ${datasetId} and b.dataset_id = ${datasetId} and b.status = 'accepted' and b.id not like ${workflowId + '/%'}`;
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

  async function acceptBatch(args: {
    workflowId: string;
    /** The processed batches to accept, in order (`batchId`: one batch, from workflows started before groups). */
    batchIds?: string[];
    batchId?: string;
    settings: BuildSettings;
    remaining: number;
    acceptSeqStart: number;
    progress: BuildProgress;
  }): Promise<AcceptSummary> {
    const summary = await acceptCandidates(deps, args, Context.current());
    await saveProgress(args.workflowId, args.settings.datasetId, {
      ...args.progress,
      accepted: args.progress.accepted + summary.accepted,
    });
    return summary;
  }

  async function finalizeBuild(args: { workflowId: string; datasetId: string; status: 'completed' | 'cancelled'; progress: BuildProgress }): Promise<void> {
    const reason = args.status === 'cancelled' ? 'build_cancelled' : 'target_reached';
    await sql.begin(async (tx) => {
      // Nothing is left as a bare candidate: whatever was generated but not accepted is surplus, with why.
      await tx`update records set status = 'surplus', reject_reason = ${reason}
        where dataset_id = ${args.datasetId} and status = 'candidate' and batch_id like ${args.workflowId + '/%'}`;
      await tx`update datasets set status = ${args.status}, stop_reason = ${args.progress.stopReason ?? null},
        accepted_count = (select count(*) from records where dataset_id = ${args.datasetId} and status = 'accepted'),
        updated_at = now() where id = ${args.datasetId}`;
    });
    // The last accepted vectors since the previous bulk sync (acceptance syncs every VECTOR_SYNC_EVERY records).
    await syncAcceptedVectors(deps, args.datasetId);
    await saveProgress(args.workflowId, args.datasetId, args.progress);
  }

  async function saveProgress(workflowId: string, datasetId: string, progress: BuildProgress): Promise<void> {
    await sql`insert into build_progress (workflow_id, dataset_id, progress, updated_at)
      values (${workflowId}, ${datasetId}, ${sql.json(progress as never)}, now())
      on conflict (workflow_id) do update set progress = excluded.progress, updated_at = now()`;
  }

  return { prepareBuild, processBatch, acceptBatch, finalizeBuild };
}

export type BuildActivities = ReturnType<typeof createBuildActivities>;
