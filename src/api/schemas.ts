// Request and response shapes shared by the routers. Workflow inputs are NOT redefined here: the task routes reuse
// the workflows' own zod schemas, so HTTP, the CLI and `temporal workflow start` accept exactly the same JSON.
import { z } from '@hono/zod-openapi';
import { datasetTypeSchema } from '../domain/records';
import { DATASET_ID_PATTERN } from '../workflows/ids';

export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'not_found' }),
      message: z.string(),
      hint: z.string().nullable(),
      issues: z.array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() })).optional(),
    }),
    requestId: z.string(),
  })
  .openapi('Error');

const errorContent = { 'application/json': { schema: errorResponseSchema } };
/** The error responses a route can give, for its OpenAPI entry. */
export function errorResponses(...statuses: Array<400 | 401 | 403 | 404 | 409 | 413 | 415 | 503 | 504>) {
  const descriptions: Record<number, string> = {
    400: 'The request is malformed or invalid; error.issues lists each problem',
    401: 'No API key, or an unknown or revoked one',
    403: 'Not allowed on this server',
    404: 'Not found (or not yours)',
    409: 'Conflicts with the current state',
    413: 'Body larger than the server allows',
    415: 'Unsupported Content-Type',
    503: 'The Temporal server cannot be reached',
    504: 'The workflow did not answer in time (is a worker running?)',
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: descriptions[s], content: errorContent }]));
}

export const datasetIdSchema = z
  .string()
  .regex(DATASET_ID_PATTERN, 'use lowercase letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit')
  .openapi({ example: 'support-faq' });

export const paginationQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Items per page (1–200)', example: 50 }),
    offset: z.coerce.number().int().min(0).default(0).openapi({ description: 'Items to skip', example: 0 }),
  })
  .strict();

export function pageSchema<T extends z.ZodTypeAny>(item: T, name: string) {
  return z
    .object({
      items: z.array(item),
      total: z.number().int(),
      limit: z.number().int(),
      offset: z.number().int(),
      /** The offset of the next page, or null on the last one. */
      nextOffset: z.number().int().nullable(),
    })
    .openapi(name);
}

export function page<T>(items: T[], total: number, limit: number, offset: number) {
  return { items, total, limit, offset, nextOffset: offset + items.length < total ? offset + items.length : null };
}

export const apiKeySchema = z
  .object({
    id: z.string(),
    prefix: z.string().openapi({ description: 'The first characters of the key, to tell keys apart' }),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');

export const newApiKeySchema = z
  .object({
    id: z.string(),
    key: z.string().openapi({ description: 'The secret key. Shown once: store it now, it cannot be recovered.' }),
    prefix: z.string(),
    createdAt: z.string(),
  })
  .openapi('NewApiKey');

export const userSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() }).openapi('User');

export const datasetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    type: z.string(),
    status: z.string().openapi({ description: 'idle | ingesting | building | completed | cancelled | failed' }),
    target: z.number().int().nullable(),
    acceptedCount: z.number().int(),
    stopReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Dataset');

export const datasetStatisticsSchema = z
  .object({
    records: z.object({
      total: z.number().int(),
      candidate: z.number().int(),
      accepted: z.number().int(),
      rejected: z.number().int(),
      surplus: z.number().int(),
    }),
    rejectReasons: z.record(z.string(), z.number().int()),
    sources: z.number().int(),
    chunks: z.number().int(),
    seedRecords: z.number().int(),
    exports: z.number().int(),
    buildProgress: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('DatasetStatistics');

export const createDatasetSchema = z
  .object({
    id: datasetIdSchema,
    name: z.string().trim().min(1).max(200).optional().openapi({ description: 'Defaults to the id' }),
    description: z.string().max(5000).default(''),
    type: datasetTypeSchema.default('qa'),
  })
  .strict()
  .openapi('CreateDataset');

export const updateDatasetSchema = z
  .object({ name: z.string().trim().min(1).max(200).optional(), description: z.string().max(5000).optional() })
  .strict()
  .refine((v) => v.name !== undefined || v.description !== undefined, { message: 'give name and/or description to change' })
  .openapi('UpdateDataset');

export const RECORD_STATUSES = ['candidate', 'accepted', 'rejected', 'surplus', 'superseded'] as const;

export const recordSchema = z
  .object({
    id: z.string(),
    status: z.enum(RECORD_STATUSES),
    rejectReason: z.string().nullable(),
    rejectDetail: z.string().nullable(),
    type: z.string(),
    content: z.unknown().openapi({ description: 'The record (qa, cot, summary, conversation or preference); null when unparseable' }),
    rawOutput: z.string().nullable(),
    score: z.number().nullable(),
    source: z.string().nullable(),
    round: z.number().int(),
    buildId: z.string().nullable().openapi({ description: 'The build that made it (`build-<dataset>/e<epoch>`); null for imported records' }),
    acceptSeq: z.number().int().nullable(),
    createdAt: z.string(),
  })
  .openapi('Record');

export const exportFileSchema = z.object({ split: z.string(), path: z.string(), records: z.number().int(), bytes: z.number().int() });
export const exportSchema = z
  .object({
    id: z.string(),
    datasetId: z.string(),
    format: z.string(),
    files: z.array(exportFileSchema.omit({ path: true }).extend({ downloadUrl: z.string() })),
    recordCount: z.number().int(),
    bytes: z.number().int(),
    createdAt: z.string(),
  })
  .openapi('Export');

export const TASK_KINDS = ['ingest', 'build', 'generate', 'curate', 'save', 'pipeline'] as const;

export const taskStartedSchema = z
  .object({
    taskId: z.string().openapi({ description: 'The Temporal workflow id' }),
    kind: z.enum(TASK_KINDS),
    datasetId: z.string(),
    status: z.string().openapi({ example: 'running' }),
    temporalUiUrl: z.string(),
  })
  .openapi('TaskStarted');

export const taskSchema = z
  .object({
    taskId: z.string(),
    kind: z.string(),
    datasetId: z.string().nullable(),
    workflowType: z.string(),
    status: z.string().openapi({ description: 'running | completed | failed | cancelled | terminated | timed_out | unknown' }),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    progress: z.unknown().optional(),
    result: z.unknown().optional(),
    error: z.object({ code: z.string(), message: z.string(), hint: z.string().nullable() }).optional(),
    temporalUiUrl: z.string(),
  })
  .openapi('Task');

/** Inline override of configs/config.yaml for one task (deep-partial; server sections refused). */
export const configOverrideSchema = z.record(z.string(), z.unknown()).openapi({
  description:
    'Deep-partial configuration for this task (e.g. {"generation":{"batch_size":4}}). Only the settings the task kind applies are accepted; paths, database, temporal, api and ingest.allowed_roots never are.',
});
export const configNameSchema = z.string().openapi({ description: 'A YAML file in the server\'s configs/ folder, e.g. "fast"' });

export const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());
