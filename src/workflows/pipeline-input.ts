// What starts a runPipeline workflow, and the progress it reports. Only names and small options travel
// through the history: the pipeline file and the input rows are read by an activity and kept in PostgreSQL.
import { z } from 'zod';

export const pipelineSourceSchema = z.union([
  /** A pipeline file the worker can read, or a name looked up in pipelines.dir (`qa`, `instructlab/full/knowledge`). */
  z.object({ path: z.string().min(1) }).strict(),
  z
    .object({
      name: z
        .string()
        .regex(/^[\w./-]+$/, 'a pipeline name is letters, digits, _, -, / and .')
        .refine((n) => !n.includes('..'), 'a pipeline name cannot contain ..'),
    })
    .strict(),
  /** The YAML itself; its config_path values are relative to `baseDir` (default: pipelines.dir). */
  z.object({ yaml: z.string().min(1).max(1_000_000), baseDir: z.string().optional() }).strict(),
]);

export const pipelineInputSourceSchema = z.union([
  /** A dataset's chunks (as `document`) and/or seed records (their fields). */
  z.object({ dataset: z.string().min(1), from: z.enum(['chunks', 'seeds', 'all']).optional() }).strict(),
  /** A JSON Lines file of rows (objects) the worker can read. */
  z.object({ rowsPath: z.string().min(1) }).strict(),
  /** An InstructLab qna.yaml; knowledge documents are matched in `docsDir` (default: the qna.yaml's folder). */
  z.object({ taxonomyPath: z.string().min(1), docsDir: z.string().optional() }).strict(),
]);

export const pipelineRunInputSchema = z
  .object({
    ownerId: z.string().min(1).default('local'),
    pipeline: pipelineSourceSchema,
    /** Optional when the pipeline starts with a SourceBlock. */
    input: pipelineInputSourceSchema.optional(),
    batchSize: z.number().int().min(1).max(1000).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    /** The model LLM blocks use unless their gen_kwargs name one (default: llm.model). */
    model: z.string().min(1).optional(),
    modelFamily: z.string().min(1).optional(),
    llmApi: z.enum(['completions', 'chat']).optional(),
    /** What `n: scaled` means: samples per input row. */
    numInstructions: z.number().int().min(1).max(1000).optional(),
    /** Where the worker writes the output rows (JSON Lines); default under paths.data_dir/pipelines/. */
    outputPath: z.string().min(1).optional(),
  })
  .strict();

export type PipelineRunInput = z.input<typeof pipelineRunInputSchema>;
export type ParsedPipelineRunInput = z.output<typeof pipelineRunInputSchema>;

export interface BlockProgress {
  name: string;
  type: string;
  /** Batches that finished this block. */
  batchesDone: number;
  rowsIn: number;
  rowsOut: number;
  rejected: number;
}

export interface PipelineProgress {
  status: 'running' | 'paused' | 'completed' | 'cancelled';
  file: string;
  batches: number;
  batchesDone: number;
  batchesInFlight: number;
  inputRows: number;
  outputRows: number;
  blocks: BlockProgress[];
  /** Rejected rows by `block: reason code`. */
  rejected: Record<string, number>;
  tokensIn: number;
  tokensOut: number;
  llmCalls: number;
  concurrency: number;
  continuedAsNew: number;
  outputPath?: string;
  warnings: string[];
}

/** What preparing a run found: small, so it can sit in the history. */
export interface PreparedPipelineRun {
  file: string;
  batches: number;
  inputRows: number;
  blocks: { name: string; type: string }[];
  concurrency: number;
  heartbeatTimeoutMs: number;
  warnings: string[];
}

export interface PipelineBlockSummary {
  batch: number;
  blockIndex: number;
  rowsIn: number;
  rowsOut: number;
  rejected: Record<string, number>;
  tokensIn: number;
  tokensOut: number;
  llmCalls: number;
  /** True when the checkpoint already existed (a retried activity after the block finished). */
  fromCheckpoint: boolean;
}

export const pipelineWorkflowId = (label: string, suffix: string) =>
  `pipeline-${label
    .replace(/[^a-z0-9._-]+/gi, '-')
    .toLowerCase()
    .slice(0, 60)}-${suffix}`;
