// The PostgreSQL schema: one module, migrations generated from it by drizzle-kit into drizzle/.
// Every id a workflow writes is deterministic (derived from workflow id, round, batch, position or a content
// hash), and unique keys back each one, so every write can be an idempotent upsert.
import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  isAdmin: boolean('is_admin').notNull().default(false),
  createdAt: createdAt(),
});

/** API keys are stored as a SHA-256 hash; the key itself is shown once, at creation. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    keyHash: text('key_hash').notNull(),
    /** The first characters of the key, so a person can tell keys apart without the secret. */
    prefix: text('prefix').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_hash_uq').on(t.keyHash)],
);

export const datasets = pgTable(
  'datasets',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    type: text('type').notNull().default('qa'),
    /** idle | ingesting | building | completed | cancelled | failed */
    status: text('status').notNull().default('idle'),
    target: integer('target'),
    acceptedCount: integer('accepted_count').notNull().default(0),
    /**
     * Bumped by every change to the accepted set (acceptance, curation, augmentation, a fresh build): a dedup index
     * cached in a worker's memory is valid only for the version it was built at.
     */
    acceptedVersion: integer('accepted_version').notNull().default(0),
    stopReason: text('stop_reason'),
    /**
     * The one task allowed to write the dataset (build, curate, ingest, delete): its workflow id, the first run id
     * of that workflow (stable across continue-as-new), what it is, and since when. Empty when nobody writes.
     * src/activities/dataset-writer.ts takes, checks and releases it; a holder whose run has closed is stale.
     */
    writerTaskId: text('writer_task_id'),
    writerRunId: text('writer_run_id'),
    writerKind: text('writer_kind'),
    writerSince: timestamp('writer_since', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('datasets_owner_idx').on(t.ownerId)],
);

/** Something ingested into a dataset: a file, a URL, a transcript, or an existing dataset file. */
export const sources = pgTable(
  'sources',
  {
    /** `${datasetId}:${contentHash}`: re-ingesting identical content is a no-op. */
    id: text('id').primaryKey(),
    datasetId: text('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    /** file | url | youtube | dataset */
    kind: text('kind').notNull(),
    uri: text('uri').notNull(),
    fileName: text('file_name').notNull(),
    format: text('format').notNull(),
    contentHash: text('content_hash').notNull(),
    title: text('title'),
    chunkCount: integer('chunk_count').notNull().default(0),
    seedRecordCount: integer('seed_record_count').notNull().default(0),
    metadata: jsonb('metadata').notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('sources_dataset_idx').on(t.datasetId)],
);

export const chunks = pgTable(
  'chunks',
  {
    /** `${sourceId}#${index}` */
    id: text('id').primaryKey(),
    sourceId: text('source_id')
      .notNull()
      .references(() => sources.id, { onDelete: 'cascade' }),
    datasetId: text('dataset_id').notNull(),
    index: integer('index').notNull(),
    text: text('text').notNull(),
    startOffset: integer('start_offset').notNull(),
    endOffset: integer('end_offset').notNull(),
    pages: integer('pages').array(),
    contentHash: text('content_hash').notNull(),
    tokenCount: integer('token_count'),
  },
  (t) => [index('chunks_dataset_idx').on(t.datasetId, t.id)],
);

/** Records of an imported dataset, used as seeds for synthetic variants. */
export const seedRecords = pgTable(
  'seed_records',
  {
    /** `${sourceId}#${position}` */
    id: text('id').primaryKey(),
    sourceId: text('source_id')
      .notNull()
      .references(() => sources.id, { onDelete: 'cascade' }),
    datasetId: text('dataset_id').notNull(),
    position: integer('position').notNull(),
    content: jsonb('content').notNull(),
    metadata: jsonb('metadata').notNull().default({}),
  },
  (t) => [index('seed_records_dataset_idx').on(t.datasetId, t.id)],
);

/**
 * Every candidate the build loop produced, and what became of it. `status` is candidate → accepted |
 * rejected (with `rejectReason`) | surplus (good, but the target was already met). Nothing is dropped.
 */
export const records = pgTable(
  'records',
  {
    /** `${batchId}/${position}`, where batchId = `${buildId}/r${round}/b${i}`. */
    id: text('id').primaryKey(),
    datasetId: text('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    /** The build that generated it (`build-<dataset>/e<epoch>`); null for records adopted from an import. */
    buildId: text('build_id'),
    batchId: text('batch_id').notNull(),
    round: integer('round').notNull(),
    position: integer('position').notNull(),
    /**
     * candidate | accepted | rejected | surplus | superseded (accepted once, then set aside by a `fresh` build;
     * kept for the record, never exported or counted).
     */
    status: text('status').notNull().default('candidate'),
    rejectReason: text('reject_reason'),
    rejectDetail: text('reject_detail'),
    type: text('type').notNull(),
    content: jsonb('content'),
    /** The LLM's raw text when it could not be parsed into a record. */
    rawOutput: text('raw_output'),
    contentHash: text('content_hash'),
    minhash: bytea('minhash'),
    // Embeddings live in LanceDB (the dataset's records table, and its candidates table until acceptance).
    score: real('score'),
    judgeReasoning: text('judge_reasoning'),
    reward: jsonb('reward'),
    chunkId: text('chunk_id'),
    seedRecordId: text('seed_record_id'),
    source: text('source'),
    /** Order of acceptance within the dataset, 1..target; what makes "exactly N" checkable. */
    acceptSeq: integer('accept_seq'),
    tokensIn: integer('tokens_in').notNull().default(0),
    tokensOut: integer('tokens_out').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    index('records_dataset_status_idx').on(t.datasetId, t.status),
    index('records_batch_idx').on(t.batchId),
    // No duplicate content among accepted records of a dataset, whatever retries happen.
    uniqueIndex('records_accepted_content_uq').on(t.datasetId, t.contentHash).where(sql`status = 'accepted'`),
    // Partial: a candidate has no accept_seq, so generation's INSERT adds no entry here (a fifth of its index work).
    // Every lookup by accept_seq compares it (=, >, between), which lets the planner use a partial index.
    uniqueIndex('records_accept_seq_uq').on(t.datasetId, t.acceptSeq).where(sql`accept_seq is not null`),
  ],
);

/**
 * One build of a dataset. Each build of the same dataset gets the next epoch, and every batch and record id it
 * makes starts with its id, so a later build never meets an earlier build's batches.
 */
export const builds = pgTable(
  'builds',
  {
    /** `build-${datasetId}/e${epoch}` */
    id: text('id').primaryKey(),
    datasetId: text('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    epoch: integer('epoch').notNull(),
    /** The first run id of the workflow execution that owns this build: a retried prepare finds its own build. */
    runKey: text('run_key').notNull(),
    fresh: boolean('fresh').notNull().default(false),
    /** running | completed | cancelled | failed */
    status: text('status').notNull().default('running'),
    stopReason: text('stop_reason'),
    /** The effective settings (type, prompts, scoring …), so the records can say how they were made. */
    settings: jsonb('settings').notNull(),
    /** Accepted records of the dataset when this build started (0 for a fresh build). */
    acceptedBefore: integer('accepted_before').notNull().default(0),
    /** The round this build started at: rounds go on across builds so prompts keep varying. */
    firstRound: integer('first_round').notNull().default(1),
    createdAt: createdAt(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('builds_dataset_epoch_uq').on(t.datasetId, t.epoch), uniqueIndex('builds_run_key_uq').on(t.runKey)],
);

/**
 * One acceptance of a build: which processed batches it took and what came of them. Stored under its own id
 * (`${buildId}/a${n}`), so a retried acceptance returns what the first attempt committed.
 */
export const acceptances = pgTable(
  'acceptances',
  {
    id: text('id').primaryKey(),
    datasetId: text('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    buildId: text('build_id').notNull(),
    batchIds: text('batch_ids').array().notNull(),
    summary: jsonb('summary').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('acceptances_build_idx').on(t.buildId)],
);

/** One batch of a build: opened when its processing starts, closed when processed, accepted or abandoned. */
export const batches = pgTable(
  'batches',
  {
    /** `${buildId}/r${round}/b${index}` */
    id: text('id').primaryKey(),
    datasetId: text('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    round: integer('round').notNull(),
    index: integer('index').notNull(),
    /**
     * processing | processed | accepted | closed (the build ended first). Candidates are written only while it
     * is `processing`, so an attempt that outlived its heartbeat can never add to a batch already decided.
     */
    status: text('status').notNull(),
    summary: jsonb('summary').notNull(),
    acceptSummary: jsonb('accept_summary'),
    createdAt: createdAt(),
  },
  (t) => [index('batches_dataset_idx').on(t.datasetId)],
);

/** Workflows started for a user: the task id is the workflow id. */
export const tasks = pgTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    datasetId: text('dataset_id'),
    /** ingest | build | generate | curate | save */
    kind: text('kind').notNull(),
    workflowType: text('workflow_type').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('tasks_owner_idx').on(t.ownerId, t.createdAt)],
);

/** Progress of a build, mirrored from the workflow so it survives the workflow and can be listed cheaply. */
export const buildProgress = pgTable('build_progress', {
  workflowId: text('workflow_id').primaryKey(),
  datasetId: text('dataset_id').notNull(),
  progress: jsonb('progress').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const exportsTable = pgTable(
  'exports',
  {
    id: text('id').primaryKey(),
    datasetId: text('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    format: text('format').notNull(),
    /** [{ split, path, records, bytes }] */
    files: jsonb('files').notNull(),
    recordCount: integer('record_count').notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index('exports_dataset_idx').on(t.datasetId)],
);

/**
 * A run of a YAML block pipeline (`runPipeline`): the validated pipeline with its prompt configs inlined, so
 * any worker can run it without the files, and the run's options. One row per workflow id.
 */
export const pipelineRuns = pgTable('pipeline_runs', {
  /** The workflow id. */
  id: text('id').primaryKey(),
  ownerId: text('owner_id'),
  file: text('file').notNull(),
  pipeline: jsonb('pipeline').notNull(),
  options: jsonb('options').notNull().default({}),
  batchCount: integer('batch_count').notNull(),
  inputRows: integer('input_rows').notNull(),
  /** running | completed | cancelled | failed */
  status: text('status').notNull().default('running'),
  outputPath: text('output_path'),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Rows between blocks: `stage` k holds a batch's rows after its first k blocks (0 = the input). A stage is
 * written in the same transaction as the block's checkpoint, so it is either complete or absent.
 */
export const pipelineRows = pgTable(
  'pipeline_rows',
  {
    runId: text('run_id')
      .notNull()
      .references(() => pipelineRuns.id, { onDelete: 'cascade' }),
    batch: integer('batch').notNull(),
    stage: integer('stage').notNull(),
    position: integer('position').notNull(),
    /** Deterministic: the input row's id plus one suffix per fan-out (`seed/3.0.2`). */
    rowId: text('row_id').notNull(),
    data: jsonb('data').notNull(),
  },
  (t) => [uniqueIndex('pipeline_rows_pk').on(t.runId, t.batch, t.stage, t.position)],
);

/** A finished block of a batch: the checkpoint a resumed run skips, with what the block did. */
export const pipelineCheckpoints = pgTable(
  'pipeline_checkpoints',
  {
    runId: text('run_id')
      .notNull()
      .references(() => pipelineRuns.id, { onDelete: 'cascade' }),
    batch: integer('batch').notNull(),
    blockIndex: integer('block_index').notNull(),
    rowsIn: integer('rows_in').notNull(),
    rowsOut: integer('rows_out').notNull(),
    /** Rejects by `block: reason code`. */
    rejects: jsonb('rejects').notNull().default({}),
    tokensIn: bigint('tokens_in', { mode: 'number' }).notNull().default(0),
    tokensOut: bigint('tokens_out', { mode: 'number' }).notNull().default(0),
    llmCalls: integer('llm_calls').notNull().default(0),
    finishedAt: createdAt(),
  },
  (t) => [uniqueIndex('pipeline_checkpoints_pk').on(t.runId, t.batch, t.blockIndex)],
);

/** Rows a block could not carry on, each with the reason: never silently dropped. */
export const pipelineRejects = pgTable(
  'pipeline_rejects',
  {
    runId: text('run_id')
      .notNull()
      .references(() => pipelineRuns.id, { onDelete: 'cascade' }),
    batch: integer('batch').notNull(),
    blockIndex: integer('block_index').notNull(),
    position: integer('position').notNull(),
    blockName: text('block_name').notNull(),
    rowId: text('row_id').notNull(),
    reason: text('reason').notNull(),
    data: jsonb('data').notNull(),
  },
  (t) => [uniqueIndex('pipeline_rejects_pk').on(t.runId, t.batch, t.blockIndex, t.position)],
);

/**
 * The concurrency budget of each LLM endpoint, shared by every worker: one row per slot (0 … concurrency-1). A
 * worker holds a slot for one request; `expires_at` lets a dead worker's slots free themselves, and a live
 * holder renews it while the request runs. `holder` is null when the slot is free.
 */
export const endpointLeaseSlots = pgTable(
  'endpoint_lease_slots',
  {
    endpoint: text('endpoint').notNull(),
    slot: integer('slot').notNull(),
    holder: text('holder'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.endpoint, t.slot] })],
);
