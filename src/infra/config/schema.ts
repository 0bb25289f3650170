// The one schema for datacreek's configuration. configs/config.yaml holds every default; a user YAML,
// environment variables and per-request overrides are layered on top and validated here, so an invalid value
// is always rejected with its path and what is allowed.
import { z } from 'zod';
import { EXPORT_FORMAT_NAMES } from '../common';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().min(0);
const ratio = z.number().min(0).max(1);

export const llmSchema = z
  .object({
    /**
     * `openai`: any OpenAI-compatible endpoint (OpenAI, vLLM, NIM, llama.cpp server, Ollama); `local`: the bundled
     * small model in-process; `auto`: `openai` when a base_url is set, otherwise `local`.
     */
    provider: z.enum(['auto', 'openai', 'local']),
    base_url: z.union([z.literal(''), z.string().url()]),
    api_key: z.string(),
    model: z.string().min(1),
    temperature: z.number().min(0).max(2),
    max_tokens: positiveInt,
    /** Requests in flight to this endpoint: from all workers together (concurrency_scope `cluster`) or per worker process. */
    concurrency: positiveInt.max(1024),
    /**
     * `cluster`: workers share the endpoint's concurrency through leases in PostgreSQL, so it holds however many
     * workers run; `process`: each worker process bounds only itself (N workers send up to N × concurrency).
     */
    concurrency_scope: z.enum(['cluster', 'process']),
    timeout_ms: positiveInt,
    retries: nonNegativeInt.max(20),
    structured_output: z.enum(['json_schema', 'json_object', 'prompt']),
    /** Path of a GGUF model for provider `local`. */
    local_model_path: z.string(),
  })
  .strict();

export const embeddingSchema = z
  .object({
    /**
     * `local`: the embedding GGUF at `local_model_path` in-process (the lexical embedder when that file is
     * missing); `openai`: an /v1/embeddings endpoint; `lexical`: feature-hashed n-grams, no model (not semantic).
     */
    provider: z.enum(['openai', 'lexical', 'local']),
    base_url: z.string(),
    api_key: z.string(),
    model: z.string(),
    dimensions: positiveInt.max(8192),
    batch_size: positiveInt.max(2048),
    /** The embedding GGUF for `provider: local`; relative: the working directory, then the project. */
    local_model_path: z.string(),
  })
  .strict();

export const rewardSchema = z
  .object({
    enabled: z.boolean(),
    base_url: z.string(),
    api_key: z.string(),
    model: z.string(),
    /** Where the reward model puts its attribute scores. */
    parse: z.enum(['content', 'logprobs']),
    /** Weights of the attribute scores in the combined reward (Nemotron-style attributes). */
    weights: z.record(z.string(), z.number()),
    /** Records whose combined reward is below this are rejected. */
    threshold: z.number(),
  })
  .strict();

export const generationSchema = z
  .object({
    type: z.enum(['qa', 'cot', 'summary', 'conversation', 'preference']),
    items_per_chunk: positiveInt.max(100),
    /** Chunks (or seed records) turned into candidates by one activity. */
    batch_size: positiveInt.max(1000),
    /** Batches in flight at once across the pipeline of a build. */
    max_batches_in_flight: positiveInt.max(64),
    max_rounds: positiveInt,
    /** 0 means no token budget. */
    token_budget: nonNegativeInt,
    variant_kinds: z.array(z.enum(['rephrase', 'new_question', 'harder', 'easier'])),
    retrieval_top_k: nonNegativeInt.max(20),
    /**
     * `grounded`: QA answers are the chunk's own sentences and questions are assembled from schema-constrained
     * parts, checked by the `source_match` filter (for small models); `free`: the model writes both;
     * `auto`: grounded for the local model, free otherwise.
     */
    mode: z.enum(['auto', 'free', 'grounded']),
  })
  .strict();

export const pipelinesSchema = z
  .object({
    /** Where pipelines named without a path are found (`--pipeline qa`, the API's `name`); relative to the repository. */
    dir: z.string().min(1),
    /** Input rows per batch: every block of every batch is one checkpoint. */
    batch_size: positiveInt.max(1000),
    /** Batches running at once (each runs its blocks in order); their LLM calls share the endpoint's limit. */
    max_batches_in_flight: positiveInt.max(64),
    /** How LLMBlock calls the endpoint: `completions` (/v1/completions with the model family's prompt format, as InstructLab) or `chat`. */
    llm_api: z.enum(['completions', 'chat']),
  })
  .strict();

export const chunkingSchema = z
  .object({
    strategy: z.enum(['basic', 'sliding', 'semantic', 'token']),
    chunk_size: positiveInt,
    overlap: nonNegativeInt,
    whole_document_below: nonNegativeInt,
    similarity_drop: z.number().min(0).max(2),
  })
  .strict();

export const ingestSchema = z
  .object({
    max_file_bytes: positiveInt,
    max_uncompressed_bytes: positiveInt,
    include: z.array(z.string()),
    exclude: z.array(z.string()),
    html_as_markdown: z.boolean(),
    allow_private_networks: z.boolean(),
    /** Server paths the API may ingest from; nothing outside them (links found in a folder included). */
    allowed_roots: z.array(z.string()),
    /** Worker threads that parse files off the worker's event loop. */
    parse_threads: positiveInt.max(64),
    /** Wall-clock limit for parsing one file; a file over it fails alone and its parse thread is ended. */
    parse_timeout_ms: positiveInt,
    /** Heap limit of each parse thread, in MB; a file that needs more fails alone. */
    parse_memory_mb: positiveInt.min(64),
    /** HTML pages nested deeper than this are refused before a DOM is built. */
    max_html_depth: positiveInt,
    /** HTML pages with more elements than this are refused before a DOM is built. */
    max_html_elements: positiveInt,
    /** PDFs with more pages than this are refused before any page is read. */
    max_pdf_pages: positiveInt,
    /** Dataset rows with a text value larger than this (UTF-8 bytes) are reported by line and left out. */
    max_field_bytes: positiveInt,
    /** Dataset rows with a list (messages, turns) longer than this are reported by line and left out. */
    max_messages_per_row: positiveInt,
  })
  .strict();

export const curateSchema = z
  .object({
    /** `judge`: LLM judge 1–10; `reward`: reward model; `both`; `none`. */
    scoring: z.enum(['judge', 'reward', 'both', 'none']),
    threshold: z.number().min(1).max(10),
    judge_batch_size: positiveInt.max(100),
    min_chars: nonNegativeInt,
    max_chars: positiveInt,
    languages: z.array(z.string()),
    filters: z.array(z.record(z.string(), z.unknown())),
  })
  .strict();

export const dedupSchema = z
  .object({
    exact: z.boolean(),
    minhash: z.object({ enabled: z.boolean(), threshold: ratio, num_perm: positiveInt, bands: positiveInt }).strict(),
    semantic: z
      .object({
        enabled: z.boolean(),
        /** null: the active embedder's own default (defaultSemanticThreshold: 0.85 for models, 0.9 for lexical). */
        threshold: ratio.nullable(),
        /** The dataset's accepted-vector table gets an ANN (IVF) index once it holds this many rows. */
        index_at_rows: positiveInt,
        /**
         * Per process: LanceDB's in-memory index and metadata caches. LanceDB's own default (6 GB + 1 GB) lets a
         * long-running worker grow toward 7 GB, since every compaction re-caches the rewritten index.
         */
        lancedb_cache_mb: positiveInt,
      })
      .strict(),
    /** Byte limit of each worker's acceptance cache (MinHash LSH bands of accepted records), least recently used dataset evicted first. */
    cache_mb: positiveInt,
  })
  .strict();

export const exportSchema = z
  .object({
    format: z.enum(EXPORT_FORMAT_NAMES),
    split: z.object({ train: ratio, validation: ratio, test: ratio }).strict(),
    seed: z.number().int(),
    system_prompt: z.string(),
    stratify_by_source: z.boolean(),
  })
  .strict();

export const databaseSchema = z
  .object({
    /** Empty: datacreek runs its own PostgreSQL cluster under paths.data_dir (see README). */
    url: z.string(),
    /** Port of the local cluster datacreek starts when `url` is empty. */
    local_port: positiveInt.max(65535),
    pool_size: positiveInt.max(200),
  })
  .strict();

export const temporalSchema = z
  .object({
    address: z.string().min(1),
    namespace: z.string().min(1),
    task_queue: z.string().min(1),
    ui_url: z.string(),
    ui_port: positiveInt.max(65535),
    /** Start a local dev server (`datacreek dev`) when nothing listens at `address`. */
    start_dev_server: z.boolean(),
  })
  .strict();

export const apiSchema = z
  .object({
    host: z.string(),
    port: z.number().int().min(0).max(65535),
    max_body_bytes: positiveInt,
    max_upload_bytes: positiveInt,
    admin_token: z.string(),
  })
  .strict();

export const pathsSchema = z
  .object({
    data_dir: z.string().min(1),
    exports_dir: z.string().min(1),
    lancedb_dir: z.string().min(1),
    tools_dir: z.string().min(1),
  })
  .strict();

/** Where everything that is a file lives: uploads, exports, quality reports and the LanceDB database. */
export const storageSchema = z
  .object({
    /**
     * `file:<dir>` (a relative dir is inside paths.data_dir; LanceDB stays at paths.lancedb_dir) or
     * `s3://<bucket>/<prefix>` (LanceDB at `<prefix>/lancedb` in the bucket), which every machine can share.
     */
    url: z.string().refine((v) => /^file:.+/.test(v) || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(v), {
      message: 'use file:<directory> (e.g. file:store) or s3://<bucket>/<prefix> (bucket: 3-63 lowercase letters, digits, "." or "-")',
    }),
    /** An S3-compatible server's URL (SeaweedFS, Ceph, R2, …); empty: AWS S3 for the region. */
    endpoint: z.union([z.literal(''), z.string().url()]),
    region: z.string().min(1),
    /** Empty: the AWS SDK's own credential chain (AWS_* variables, profile, instance role). */
    access_key_id: z.string(),
    secret_access_key: z.string(),
    /** Bucket in the path (`endpoint/bucket/key`) instead of the host name: what most self-hosted servers need. */
    force_path_style: z.boolean(),
  })
  .strict();

/** The kinds of work a worker can serve; the workflow code's WORK_KINDS is checked against this list. */
const WORKER_KINDS = ['workflows', 'llm', 'accept', 'files'] as const;

export const workerSchema = z
  .object({
    max_concurrent_activities: positiveInt.max(1000),
    heartbeat_timeout_ms: positiveInt,
    shutdown_grace_ms: positiveInt,
    /** Every this many ms, log the event loop's delay (p99 and max) over the interval; 0 turns it off. */
    event_loop_report_ms: nonNegativeInt,
    /**
     * V8 lets the JS heap grow to (1 + this / 100) × what the last full collection kept before collecting again;
     * 0 leaves V8's own factor, which a long build's garbage pushes toward 2–4× (~90 MB more committed heap in the
     * 100k-record benchmark). Set once per process when a worker starts.
     */
    js_heap_growing_percent: nonNegativeInt.max(300),
    /**
     * The kinds of work this worker serves, each on its own task queue derived from temporal.task_queue:
     * `workflows` (the base queue: workflows and their bookkeeping activities), `llm` (`<base>-llm`), `accept`
     * (`<base>-accept`), `files` (`<base>-files`), or `all`. A comma-separated string is accepted (environment variables).
     */
    serve: z.preprocess(
      (value) => {
        const list =
          typeof value === 'string'
            ? value
                .split(',')
                .map((kind) => kind.trim())
                .filter(Boolean)
            : value;
        return Array.isArray(list) && list.includes('all') ? [...WORKER_KINDS] : list;
      },
      z.array(z.enum(WORKER_KINDS)).min(1, 'worker.serve needs at least one of workflows, llm, accept, files (or all)'),
    ),
  })
  .strict();

export const configSchema = z
  .object({
    llm: llmSchema,
    embedding: embeddingSchema,
    reward: rewardSchema,
    generation: generationSchema,
    pipelines: pipelinesSchema,
    chunking: chunkingSchema,
    ingest: ingestSchema,
    curate: curateSchema,
    dedup: dedupSchema,
    export: exportSchema,
    database: databaseSchema,
    temporal: temporalSchema,
    api: apiSchema,
    worker: workerSchema,
    paths: pathsSchema,
    storage: storageSchema,
    log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    /** Prompt templates by name; defaults in configs/prompts.yaml. */
    prompts: z.record(z.string(), z.string()),
  })
  .strict();

export type DatacreekConfig = z.infer<typeof configSchema>;

/** A deep-partial config, as found in a user YAML or a per-request override (validated after merging). */
export type ConfigOverride = { [K in keyof DatacreekConfig]?: DeepPartial<DatacreekConfig[K]> };
type DeepPartial<T> = T extends Array<unknown> ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
