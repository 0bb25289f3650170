// The effective settings of one build: the workflow input with the worker's config defaults filled in,
// resolved once by the prepareBuild activity and carried (small) through continue-as-new.
import type { DatasetType } from '../domain/records/types';
import type { YieldPrior } from './launch-policy';

export interface BuildSettings {
  datasetId: string;
  /**
   * `build-<dataset>/e<epoch>`: this build's id, the prefix of its batch and record ids. Absent in settings resolved
   * before builds had epochs; those workflows keep their workflow id as the prefix.
   */
  buildId?: string;
  epoch?: number;
  /** The round this build starts at: rounds go on across builds of a dataset, so prompts keep varying. */
  firstRound?: number;
  /** Records the dataset had accepted when this build started: `target` counts them too. */
  acceptedBefore?: number;
  /** This build superseded the dataset's earlier records and starts from none. */
  fresh?: boolean;
  ownerId: string;
  type: DatasetType;
  target: number;
  maxRounds: number;
  /** 0 = unlimited. */
  tokenBudget: number;
  batchSize: number;
  concurrency: number;
  itemsPerChunk: number;
  /** How many chunks and seed records the build draws from, in a fixed order (by id). */
  chunkCount: number;
  seedCount: number;
  batchesPerRound: number;
  scoring: { mode: 'judge' | 'reward' | 'both' | 'none'; threshold: number; rewardThreshold: number };
  dedup: {
    exact: boolean;
    minhash: { enabled: boolean; threshold: number };
    semantic: { enabled: boolean; threshold: number };
  };
  filters: Record<string, unknown>[];
  temperature: number;
  maxTokens: number;
  /** Absent in settings resolved before grounded generation existed: free. */
  generationMode?: 'free' | 'grounded';
  /** Prompt templates given with this build (merged over the config's by the activities). */
  prompts?: Record<string, string>;
  /** The build's generation pipeline (YAML text, a path or a name in pipelines.dir), when it has one. */
  pipeline?: string;
  /**
   * The worker's worker.heartbeat_timeout_ms: how soon a batch on a dead worker is noticed and retried elsewhere.
   * Absent in settings resolved before it existed; those builds keep the old 2 minutes.
   */
  heartbeatTimeoutMs?: number;
  /**
   * The yield seen in the dataset's earlier builds, the launch policy's starting estimate. Absent when there were
   * none (the policy's conservative default applies) and in settings resolved before it existed.
   */
  launchPrior?: YieldPrior;
}

export interface BatchSummary {
  batchId: string;
  round: number;
  index: number;
  generated: number;
  parseFailures: number;
  rejected: Record<string, number>;
  /** Candidates left for dedup and acceptance. */
  candidates: number;
  tokensIn: number;
  tokensOut: number;
  /** The source items it was given: from this position in the dataset's source order, this many (absent before sizes varied). */
  sourceOffset?: number;
  sourceItems?: number;
}

export interface AcceptSummary {
  /** The acceptance's own id (absent in summaries stored before acceptances had ids). */
  acceptanceId?: string;
  /** Accepted records of the whole dataset after this acceptance, as PostgreSQL counts them. */
  acceptedTotal?: number;
  /** The first batch of the group (all an acceptance held before groups). */
  batchId: string;
  /** The batches accepted together, in order. Absent in summaries stored before groups. */
  batchIds?: string[];
  accepted: number;
  surplus: number;
  duplicates: Record<string, number>;
}

/** The processBatch activity's input: one launched batch. */
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
