// The one JSON object that starts a build (`buildDataset`), from HTTP, the CLI or
// `temporal workflow start --type buildDataset --input '{…}'`. Unset fields take the worker's config defaults.
import { z } from 'zod';
import { datasetTypeSchema } from '../domain/records/types';
import { DATASET_ID_PATTERN } from './ids';

export const scoringSchema = z
  .object({
    mode: z.enum(['judge', 'reward', 'both', 'none']),
    /** Judge scores are 1–10; records below are rejected (7.0 by default). */
    threshold: z.number().min(1).max(10),
    rewardThreshold: z.number(),
  })
  .partial()
  .strict();

export const dedupOverrideSchema = z
  .object({
    exact: z.boolean(),
    minhash: z
      .object({ enabled: z.boolean(), threshold: z.number().min(0).max(1) })
      .partial()
      .strict(),
    semantic: z
      .object({ enabled: z.boolean(), threshold: z.number().min(0).max(1) })
      .partial()
      .strict(),
  })
  .partial()
  .strict();

export const buildInputSchema = z
  .object({
    datasetId: z.string().regex(DATASET_ID_PATTERN, 'use lowercase letters, digits, ".", "_" or "-", starting with a letter or digit'),
    ownerId: z.string().min(1).default('local'),
    type: datasetTypeSchema.optional(),
    /**
     * The dataset's total of accepted records: a build of a dataset that already holds records continues from them
     * and accepts only what is missing. Exactly this many, unless max rounds or the token budget stop it first.
     */
    target: z.number().int().positive('target must be at least 1'),
    /** Start over: the dataset's accepted records are kept as `superseded`, and this build accepts `target` new ones. */
    fresh: z.boolean().optional(),
    maxRounds: z.number().int().positive().optional(),
    /** Prompt + completion tokens; 0 or unset: the config default (0 = unlimited). */
    tokenBudget: z.number().int().min(0).optional(),
    /** Chunks or seed records per batch (one activity). */
    batchSize: z.number().int().positive().max(1000).optional(),
    /** Batches in flight at once, at different stages. */
    concurrency: z.number().int().positive().max(64).optional(),
    itemsPerChunk: z.number().int().positive().max(100).optional(),
    /** Which ingested material to generate from. */
    sources: z.object({ chunks: z.boolean(), seeds: z.boolean() }).partial().strict().optional(),
    scoring: scoringSchema.optional(),
    dedup: dedupOverrideSchema.optional(),
    /** Extra filter steps for this build, e.g. [{ "step": "pii", "action": "redact" }]. */
    filters: z.array(z.record(z.string(), z.unknown())).optional(),
    generation: z
      .object({
        temperature: z.number().min(0).max(2),
        maxTokens: z.number().int().positive(),
        /** `grounded` (QA answers are source sentences, see generation.mode), `free`, or `auto`: the worker's config. */
        mode: z.enum(['auto', 'free', 'grounded']),
      })
      .partial()
      .strict()
      .optional(),
    /** Prompt templates by name, overriding the config's for this dataset. */
    prompts: z.record(z.string(), z.string()).optional(),
    /**
     * A YAML block pipeline as the generation stage: its text, an absolute path, or a name in pipelines.dir
     * (`qa`, `cot` …). Each source item runs through it; its output rows become the candidates.
     */
    pipeline: z.string().min(1).max(1_000_000).optional(),
  })
  .strict();

export type BuildInput = z.input<typeof buildInputSchema>;
export type ParsedBuildInput = z.output<typeof buildInputSchema>;

export type StopReason = 'target_reached' | 'max_rounds' | 'token_budget' | 'sources_exhausted' | 'cancelled' | 'failed';

/** What the `progress` query answers, and what is mirrored to PostgreSQL (build_progress). */
export interface BuildProgress {
  datasetId: string;
  status: 'running' | 'paused' | 'draining' | 'completed' | 'cancelled' | 'failed';
  /** The dataset's total of accepted records this build aims at. */
  target: number;
  /** The dataset's accepted records, including those accepted before this build (`acceptedBefore`). */
  accepted: number;
  /** What the dataset held when this build started; absent in builds from before rebuilds continued. */
  acceptedBefore?: number;
  /** This build's id (`build-<dataset>/e<epoch>`), once prepared. */
  buildId?: string;
  /** Acceptances run so far (numbers the next acceptance's id). */
  acceptances?: number;
  /** Why a failed build failed. */
  error?: string;
  generated: number;
  parseFailures: number;
  rejected: Record<string, number>;
  surplus: number;
  round: number;
  batchesDone: number;
  batchesInFlight: number;
  tokensIn: number;
  tokensOut: number;
  concurrency: number;
  stopReason?: StopReason;
  continuedAsNew: number;
}
