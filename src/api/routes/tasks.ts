// /v1/tasks: start ingest, build, generate, curate and save workflows for the caller, follow them, and steer the
// running ones (pause, resume, cancel, retarget). Bodies are the workflows' own input schemas, minus `ownerId`
// (always the caller) plus an optional per-request `config` / `configName`.
import { createRoute, z } from '@hono/zod-openapi';
import {
  buildWorkflowId,
  cancelTask,
  curateWorkflowId,
  describeTask,
  exportWorkflowId,
  ingestWorkflowId,
  listTasks,
  ownedOrNewDataset,
  pauseTask,
  pipelineWorkflowId,
  requireOwnedDataset,
  requireOwnedTask,
  resolveTaskOverrides,
  resumeTask,
  setBuildConcurrency,
  setBuildTarget,
  startPipelineTask,
  startTask,
  uniqueSuffix,
  workflowUiUrl,
  type DatasetRow,
  type StartedTask,
  type TASK_WORKFLOW_TYPES,
  type TaskConfigRequest,
  type TaskKind,
  type TaskRow,
  type WorkflowInput,
} from '../../client';
import { createRouter } from '../router';
import { mergeDeep } from '../../infra/common';
import { buildInputSchema } from '../../workflows/build-input';
import { curateInputSchema, exportInputSchema } from '../../workflows/curate-input';
import { ingestInputSchema, type IngestItem } from '../../workflows/ingest-input';
import { pipelineRunInputSchema } from '../../workflows/pipeline-input';
import type { ResolvedDeps } from '../context';
import { ApiError, badRequest, conflict, zodIssues } from '../errors';
import { realAllowedRoots, resolveAllowedPath } from '../ingest-paths';
import {
  configNameSchema,
  configOverrideSchema,
  datasetIdSchema,
  errorResponses,
  page,
  pageSchema,
  paginationQuerySchema,
  TASK_KINDS,
  taskSchema,
  taskStartedSchema,
} from '../schemas';
import { assertOwnUpload, safeUploadName, saveUploads, type SavedUploads } from '../uploads';

const overrideFields = { config: configOverrideSchema.optional(), configName: configNameSchema.optional() };

export const ingestTaskBody = ingestInputSchema.omit({ ownerId: true, allowedRoots: true }).extend(overrideFields).openapi('IngestTask');
const uploadedFile = z.custom<File>((v) => v instanceof File, 'expected a file').openapi({ type: 'string', format: 'binary' });
export const ingestUploadBody = z
  .object({
    datasetId: datasetIdSchema,
    file: z.union([uploadedFile, z.array(uploadedFile).min(1)]).openapi({ description: 'One or more files (repeat the field)' }),
    configName: configNameSchema.optional(),
    config: z.string().optional().openapi({ description: 'A JSON config override, as text' }),
  })
  .strict()
  .openapi('IngestUpload');
export const buildTaskBody = buildInputSchema.omit({ ownerId: true }).extend(overrideFields).openapi('BuildTask');
export const generateTaskBody = buildInputSchema.omit({ ownerId: true, scoring: true }).extend(overrideFields).openapi('GenerateTask');
export const curateTaskBody = curateInputSchema.omit({ ownerId: true }).extend(overrideFields).openapi('CurateTask');
export const saveTaskBody = exportInputSchema.omit({ ownerId: true }).extend(overrideFields).openapi('SaveTask');
// The run options are the workflow's own; the pipeline and its input rows are named the API's way (a dataset id,
// server paths checked against ingest.allowed_roots), and the output path is the server's choice.
export const pipelineTaskBody = pipelineRunInputSchema
  .omit({ ownerId: true, outputPath: true })
  .extend({
    pipeline: z
      .union([
        z
          .object({ yaml: z.string().min(1).max(1_000_000) })
          .strict()
          .openapi({ description: 'The pipeline file itself; its config_path values are relative to pipelines.dir' }),
        z
          .object({
            name: z
              .string()
              .regex(/^[\w./-]+$/)
              .refine((n) => !n.includes('..'), 'a name cannot contain ..'),
          })
          .strict()
          .openapi({ description: 'A file in pipelines.dir (configs/pipelines): qa, cot, summary, conversation, preference …' }),
      ])
      .openapi({ description: 'The YAML block pipeline (InstructLab format 1.0 plus datacreek blocks; schema: `datacreek pipeline schema`)' }),
    input: z
      .union([
        z.object({ datasetId: datasetIdSchema, from: z.enum(['chunks', 'seeds', 'all']).optional() }).strict(),
        z
          .object({ rowsPath: z.string().min(1) })
          .strict()
          .openapi({ description: 'A JSON Lines file inside ingest.allowed_roots' }),
        z
          .object({ taxonomyPath: z.string().min(1), docsDir: z.string().optional() })
          .strict()
          .openapi({ description: 'An InstructLab qna.yaml inside ingest.allowed_roots' }),
      ])
      .optional()
      .openapi({ description: 'The input rows; optional when the pipeline starts with a SourceBlock' }),
  })
  .openapi('PipelineTask');
export const patchTaskBody = z
  .object({
    target: z.number().int().positive('target must be at least 1').optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
  })
  .strict()
  .refine((v) => v.target !== undefined || v.concurrency !== undefined, { message: 'give target and/or concurrency' })
  .openapi('PatchTask');

const started = { 202: { description: 'The workflow started', content: { 'application/json': { schema: taskStartedSchema } } } };

function startRoute<S extends z.ZodTypeAny>(kind: Exclude<TaskKind, 'ingest'>, schema: S, summary: string) {
  return createRoute({
    method: 'post',
    path: `/tasks/${kind}`,
    tags: ['tasks'],
    summary,
    request: { body: { required: true, content: { 'application/json': { schema } } } },
    responses: { ...started, ...errorResponses(400, 401, 404, 409, 413, 415, 503) },
  });
}

const pipelineRoute = createRoute({
  method: 'post',
  path: '/tasks/pipeline',
  tags: ['tasks'],
  summary: 'Run a YAML block pipeline durably (every block of every batch a checkpoint; failing rows rejected with their reason)',
  request: { body: { required: true, content: { 'application/json': { schema: pipelineTaskBody } } } },
  responses: { ...started, ...errorResponses(400, 401, 404, 409, 413, 415, 503) },
});

const ingestRoute = createRoute({
  method: 'post',
  path: '/tasks/ingest',
  tags: ['tasks'],
  summary: 'Ingest server paths (inside ingest.allowed_roots), URLs, or uploaded files into a dataset',
  request: {
    body: {
      required: false,
      content: { 'application/json': { schema: ingestTaskBody }, 'multipart/form-data': { schema: ingestUploadBody } },
    },
  },
  responses: { ...started, ...errorResponses(400, 401, 404, 409, 413, 415, 503) },
});
const buildRoute = startRoute('build', buildTaskBody, 'Build a dataset: generate, score, filter and dedupe until `target` records are accepted');
const generateRoute = startRoute('generate', generateTaskBody, 'Generate records without scoring (a build with scoring mode none)');
const curateRoute = startRoute('curate', curateTaskBody, "Score and filter an existing dataset's records");
const saveRoute = startRoute('save', saveTaskBody, 'Export the accepted records in a training format, split');

const taskIdParam = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'build-support-faq' }),
});

const listRoute = createRoute({
  method: 'get',
  path: '/tasks',
  tags: ['tasks'],
  summary: "List the caller's tasks, newest first",
  request: {
    query: paginationQuerySchema.extend({ datasetId: datasetIdSchema.optional(), kind: z.enum(TASK_KINDS).optional() }),
  },
  responses: {
    200: { description: 'A page of tasks', content: { 'application/json': { schema: pageSchema(taskSchema, 'TaskPage') } } },
    ...errorResponses(400, 401, 503),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/tasks/{id}',
  tags: ['tasks'],
  summary: "A task's status, with its live progress, result or error",
  request: { params: taskIdParam },
  responses: { 200: { description: 'The task', content: { 'application/json': { schema: taskSchema } } }, ...errorResponses(401, 404, 503) },
});

const controlResponse = z.object({ taskId: z.string(), requested: z.string(), status: z.string() }).openapi('TaskControl');
function controlRoute(action: 'pause' | 'resume' | 'cancel', summary: string) {
  return createRoute({
    method: 'post',
    path: `/tasks/{id}/${action}`,
    tags: ['tasks'],
    summary,
    request: { params: taskIdParam },
    responses: {
      202: { description: 'Sent to the workflow', content: { 'application/json': { schema: controlResponse } } },
      ...errorResponses(401, 404, 409, 503),
    },
  });
}
const pauseRoute = controlRoute('pause', 'Pause a running build (batches in flight finish; no new ones start)');
const resumeRoute = controlRoute('resume', 'Resume a paused build');
const cancelRoute = controlRoute('cancel', 'Cancel a running task (accepted records are kept)');

const patchRoute = createRoute({
  method: 'patch',
  path: '/tasks/{id}',
  tags: ['tasks'],
  summary: "Change a running build's target or concurrency",
  request: { params: taskIdParam, body: { required: true, content: { 'application/json': { schema: patchTaskBody } } } },
  responses: {
    200: {
      description: "The build's progress after the change",
      content: { 'application/json': { schema: z.object({ taskId: z.string(), progress: z.unknown() }).openapi('TaskPatched') } },
    },
    ...errorResponses(400, 401, 404, 409, 413, 415, 503, 504),
  },
});

/** The kinds that run the build workflow, which alone understands pause, resume, setTarget and setConcurrency. */
const STEERABLE_KINDS = new Set(['build', 'generate', 'pipeline']);

export function taskRoutes(deps: ResolvedDeps) {
  const app = createRouter();
  const { database, config } = deps;

  /** Validates the request's overrides, layers the body's explicit fields over them, and checks the result. */
  function workflowInput<S extends z.ZodTypeAny>(
    kind: TaskKind,
    schema: S,
    body: Record<string, unknown> & TaskConfigRequest,
    ownerId: string,
    defaults: Record<string, unknown> = {},
  ): z.output<S> {
    const { config: inline, configName, ...explicit } = body;
    const fromConfig = resolveTaskOverrides(kind, config, { config: inline, configName });
    const merged = mergeDeep(mergeDeep(defaults, fromConfig), explicit);
    const parsed = schema.safeParse({ ...merged, ownerId });
    if (!parsed.success) {
      const issues = zodIssues(parsed.error);
      throw badRequest(
        'invalid_request',
        `Invalid ${kind} task: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        'Fix the fields listed in error.issues (they may come from the config override).',
        issues,
      );
    }
    return parsed.data;
  }

  /**
   * Starts a task on one of the caller's datasets: its input is the body layered over the config (and over
   * `datasetDefaults`, read from the dataset), checked by the workflow's own schema.
   */
  async function startDatasetTask<K extends Exclude<TaskKind, 'ingest'>>(
    kind: K,
    schema: z.ZodType<WorkflowInput<(typeof TASK_WORKFLOW_TYPES)[K]>>,
    start: {
      ownerId: string;
      body: { datasetId: string } & Record<string, unknown> & TaskConfigRequest;
      workflowIdFor: (datasetId: string) => string;
      datasetDefaults?: (dataset: DatasetRow) => Record<string, unknown>;
    },
  ): Promise<StartedTask> {
    const { ownerId, body } = start;
    const dataset = await requireOwnedDataset(database, ownerId, body.datasetId);
    const input = workflowInput(kind, schema, body, ownerId, start.datasetDefaults?.(dataset));
    return startTask(deps, { kind, datasetId: dataset.id, ownerId, workflowId: start.workflowIdFor(dataset.id), input });
  }

  async function requireRunning(row: TaskRow, action: string) {
    const view = await describeTask(deps, row, { details: false });
    if (view.status !== 'running') {
      throw conflict(
        'task_not_running',
        `Task "${row.id}" is ${view.status}; it cannot ${action}`,
        'Only running tasks take live controls; start a new task instead.',
      );
    }
  }

  function requireSteerable(row: TaskRow, action: string) {
    if (!STEERABLE_KINDS.has(row.kind)) {
      throw conflict(
        'not_supported',
        `A ${row.kind} task cannot ${action}`,
        'Only build and generate tasks can be paused, resumed or retargeted; any task can be cancelled.',
      );
    }
  }

  app.openapi(ingestRoute, async (c) => {
    const user = c.get('user');
    const contentType = (c.req.header('content-type') ?? '').toLowerCase();
    let body: Record<string, unknown> & TaskConfigRequest;
    let uploads: SavedUploads | undefined;
    let files: File[] = [];
    if (contentType.startsWith('multipart/form-data')) {
      // The route declares two body types; the form validator ran for this one, its typing does not follow.
      const form = c.req.valid('form' as never) as z.output<typeof ingestUploadBody>;
      files = Array.isArray(form.file) ? form.file : [form.file];
      body = { datasetId: form.datasetId, configName: form.configName, config: parseConfigField(form.config) };
    } else if (contentType.startsWith('application/json')) {
      body = c.req.valid('json') as z.output<typeof ingestTaskBody>;
    } else {
      throw new ApiError(
        415,
        'unsupported_media_type',
        'POST /v1/tasks/ingest takes JSON or a multipart upload',
        'Send Content-Type: application/json, or multipart/form-data with datasetId and file fields.',
      );
    }
    const datasetId = String(body.datasetId);
    // Everything is validated (server paths, overrides, the whole input) before an upload touches the disk;
    // uploads stand in under their safe names until they are saved.
    let items: IngestItem[] = files.length
      ? files.map((f) => ({ path: safeUploadName(f.name) }))
      : (body.items as IngestItem[]).map((item) => {
          if ('path' in item) return { path: resolveAllowedPath(item.path, config.ingest.allowed_roots) };
          if ('upload' in item) assertOwnUpload(item.upload, user.id);
          return item;
        });
    // Server paths are walked by the worker: every file it finds under them must also resolve inside the roots.
    if (!files.length && items.some((item) => 'path' in item)) body = { ...body, allowedRoots: realAllowedRoots(config.ingest.allowed_roots) };
    workflowInput('ingest', ingestInputSchema, { ...body, items }, user.id);
    await ownedOrNewDataset(database, user.id, datasetId);
    if (files.length) {
      uploads = await saveUploads(deps.objectStore(), user.id, files);
      items = uploads.keys.map((key) => ({ upload: key }));
    }
    const input = workflowInput('ingest', ingestInputSchema, { ...body, items }, user.id);
    try {
      const result = await startTask(deps, { kind: 'ingest', datasetId, ownerId: user.id, workflowId: ingestWorkflowId(datasetId, uniqueSuffix()), input });
      return c.json(result, 202);
    } catch (err) {
      await uploads?.discard();
      throw err;
    }
  });

  // A build (and a generate, which is a build without scoring) makes records of the dataset's type unless told otherwise.
  const datasetType = (dataset: DatasetRow) => ({ type: dataset.type });

  app.openapi(buildRoute, async (c) => {
    const start = { ownerId: c.get('user').id, body: c.req.valid('json'), workflowIdFor: buildWorkflowId, datasetDefaults: datasetType };
    return c.json(await startDatasetTask('build', buildInputSchema, start), 202);
  });

  app.openapi(generateRoute, async (c) => {
    const body = { ...c.req.valid('json'), scoring: { mode: 'none' as const } };
    const start = { ownerId: c.get('user').id, body, workflowIdFor: buildWorkflowId, datasetDefaults: datasetType };
    return c.json(await startDatasetTask('generate', buildInputSchema, start), 202);
  });

  app.openapi(curateRoute, async (c) => {
    const start = { ownerId: c.get('user').id, body: c.req.valid('json'), workflowIdFor: (id: string) => curateWorkflowId(id, uniqueSuffix()) };
    return c.json(await startDatasetTask('curate', curateInputSchema, start), 202);
  });

  app.openapi(saveRoute, async (c) => {
    const start = { ownerId: c.get('user').id, body: c.req.valid('json'), workflowIdFor: (id: string) => exportWorkflowId(id, uniqueSuffix()) };
    return c.json(await startDatasetTask('save', exportInputSchema, start), 202);
  });

  app.openapi(pipelineRoute, async (c) => {
    const user = c.get('user');
    const body = c.req.valid('json');
    const { resolvePipelineSource } = await import('../../activities');
    const { PipelineValidationError, pipelinesDir } = await loadPipelineModules();
    let datasetId: string | null = null;
    let input: WorkflowInput<typeof TASK_WORKFLOW_TYPES.pipeline>['input'];
    if (body.input && 'datasetId' in body.input) {
      datasetId = (await requireOwnedDataset(database, user.id, body.input.datasetId)).id;
      input = { dataset: datasetId, ...(body.input.from ? { from: body.input.from } : {}) };
    } else if (body.input && 'rowsPath' in body.input) {
      input = { rowsPath: resolveAllowedPath(body.input.rowsPath, config.ingest.allowed_roots) };
    } else if (body.input && 'taxonomyPath' in body.input) {
      input = {
        taxonomyPath: resolveAllowedPath(body.input.taxonomyPath, config.ingest.allowed_roots),
        ...(body.input.docsDir ? { docsDir: resolveAllowedPath(body.input.docsDir, config.ingest.allowed_roots) } : {}),
      };
    }
    // A pipeline sent as YAML may only read prompt configs from pipelines.dir, never any other server file.
    const pipeline = 'yaml' in body.pipeline ? { yaml: body.pipeline.yaml, baseDir: pipelinesDir(config) } : body.pipeline;
    try {
      resolvePipelineSource(config, pipeline, { numInstructions: body.numInstructions ?? 0, confineTo: pipelinesDir(config) });
    } catch (error) {
      if (error instanceof PipelineValidationError) {
        throw badRequest(
          'invalid_pipeline',
          error.message,
          error.hint,
          error.issues.map((i) => ({ path: [i.block, i.path].filter(Boolean).join(' › '), message: `${i.message} — ${i.fix}` })),
        );
      }
      throw error;
    }
    const { input: _given, pipeline: _pipeline, ...options } = body;
    const workflowInput = { ...options, pipeline, ...(input ? { input } : {}), ownerId: user.id };
    const label = 'name' in body.pipeline ? body.pipeline.name : 'inline';
    const workflowId = pipelineWorkflowId(label, uniqueSuffix());
    await startPipelineTask(deps, { ownerId: user.id, datasetId, workflowId, input: workflowInput });
    return c.json(
      { taskId: workflowId, kind: 'pipeline' as const, datasetId: datasetId ?? '', status: 'running', temporalUiUrl: workflowUiUrl(config, workflowId) },
      202,
    );
  });

  async function loadPipelineModules() {
    const [{ PipelineValidationError }, { pipelinesDir }] = await Promise.all([import('../../domain/pipelines'), import('../../activities')]);
    return { PipelineValidationError, pipelinesDir };
  }

  app.openapi(listRoute, async (c) => {
    const user = c.get('user');
    const { limit, offset, datasetId, kind } = c.req.valid('query');
    const { items, total } = await listTasks(deps, user.id, { limit, offset, datasetId, kind });
    return c.json(page(items, total, limit, offset), 200);
  });

  app.openapi(getRoute, async (c) => {
    const row = await requireOwnedTask(database, c.get('user').id, c.req.valid('param').id);
    return c.json(await describeTask(deps, row, { details: true }), 200);
  });

  /** Pauses or resumes a running build (or pipeline run) of the caller's; other kinds and finished tasks are refused. */
  async function pauseOrResume(ownerId: string, taskId: string, action: 'pause' | 'resume') {
    const row = await requireOwnedTask(database, ownerId, taskId);
    const what = action === 'pause' ? 'be paused' : 'be resumed';
    requireSteerable(row, what);
    await requireRunning(row, what);
    await (action === 'pause' ? pauseTask : resumeTask)(deps.temporal, row.id);
    return { taskId: row.id, requested: action, status: 'running' };
  }

  app.openapi(pauseRoute, async (c) => c.json(await pauseOrResume(c.get('user').id, c.req.valid('param').id, 'pause'), 202));
  app.openapi(resumeRoute, async (c) => c.json(await pauseOrResume(c.get('user').id, c.req.valid('param').id, 'resume'), 202));

  app.openapi(cancelRoute, async (c) => {
    const row = await requireOwnedTask(database, c.get('user').id, c.req.valid('param').id);
    await requireRunning(row, 'be cancelled');
    await cancelTask(deps.temporal, row.id);
    return c.json({ taskId: row.id, requested: 'cancel', status: 'cancelling' }, 202);
  });

  app.openapi(patchRoute, async (c) => {
    const row = await requireOwnedTask(database, c.get('user').id, c.req.valid('param').id);
    const { target, concurrency } = c.req.valid('json');
    requireSteerable(row, 'change its target or concurrency');
    await requireRunning(row, 'change its target or concurrency');
    let progress: unknown;
    if (target !== undefined) progress = await setBuildTarget(deps, row.id, target);
    if (concurrency !== undefined) progress = await setBuildConcurrency(deps, row.id, concurrency);
    return c.json({ taskId: row.id, progress }, 200);
  });

  return app;
}

/** The multipart `config` field carries JSON text; it must be an object like the JSON body's `config`. */
function parseConfigField(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest(
      'invalid_config',
      `The config field is not valid JSON: ${(err as Error).message}`,
      'Send the override as a JSON object, e.g. {"chunking":{"chunk_size":2000}}.',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('invalid_config', 'The config field must be a JSON object', 'Send the override as a JSON object, e.g. {"chunking":{"chunk_size":2000}}.');
  }
  return parsed as Record<string, unknown>;
}
