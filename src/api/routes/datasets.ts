// /v1/datasets: the caller's datasets, their statistics, records and exports.
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../router';
import { and, asc, count, eq } from 'drizzle-orm';
import { exportsTable, records } from '../../infra/db';
import { createDataset, datasetStatistics, deleteDataset, listDatasets, requireOwnedDataset, updateDataset, type DatasetRow } from '../../client';
import type { ResolvedDeps } from '../context';
import {
  createDatasetSchema,
  datasetIdSchema,
  datasetSchema,
  datasetStatisticsSchema,
  errorResponses,
  exportSchema,
  iso,
  page,
  pageSchema,
  paginationQuerySchema,
  RECORD_STATUSES,
  recordSchema,
  updateDatasetSchema,
} from '../schemas';
import { exportView } from './exports';

const idParam = z.object({ id: datasetIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });
const datasetPage = pageSchema(datasetSchema, 'DatasetPage');
const recordPage = pageSchema(recordSchema, 'RecordPage');

const createDatasetRoute = createRoute({
  method: 'post',
  path: '/datasets',
  tags: ['datasets'],
  summary: 'Create a dataset',
  request: { body: { required: true, content: { 'application/json': { schema: createDatasetSchema } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: datasetSchema } } },
    ...errorResponses(400, 401, 409, 413, 415),
  },
});

const listDatasetsRoute = createRoute({
  method: 'get',
  path: '/datasets',
  tags: ['datasets'],
  summary: "List the caller's datasets, newest first",
  request: { query: paginationQuerySchema },
  responses: { 200: { description: 'A page of datasets', content: { 'application/json': { schema: datasetPage } } }, ...errorResponses(400, 401) },
});

const getDatasetRoute = createRoute({
  method: 'get',
  path: '/datasets/{id}',
  tags: ['datasets'],
  summary: 'A dataset with its statistics (records by status, reject reasons, sources, chunks, seed records, exports)',
  request: { params: idParam },
  responses: {
    200: {
      description: 'The dataset',
      content: { 'application/json': { schema: datasetSchema.extend({ statistics: datasetStatisticsSchema }).openapi('DatasetWithStatistics') } },
    },
    ...errorResponses(400, 401, 404),
  },
});

const updateDatasetRoute = createRoute({
  method: 'patch',
  path: '/datasets/{id}',
  tags: ['datasets'],
  summary: 'Rename a dataset or change its description',
  request: { params: idParam, body: { required: true, content: { 'application/json': { schema: updateDatasetSchema } } } },
  responses: {
    200: { description: 'The updated dataset', content: { 'application/json': { schema: datasetSchema } } },
    ...errorResponses(400, 401, 404, 413, 415),
  },
});

const deleteDatasetRoute = createRoute({
  method: 'delete',
  path: '/datasets/{id}',
  tags: ['datasets'],
  summary: 'Delete a dataset with its records, vectors and exports (refused while a task runs on it)',
  request: { params: idParam },
  responses: {
    200: {
      description: 'Deleted',
      content: {
        'application/json': {
          schema: z.object({ deleted: z.literal(true), datasetId: z.string(), vectorTablesDropped: z.array(z.string()), exportFilesRemoved: z.number().int() }),
        },
      },
    },
    ...errorResponses(401, 404, 409),
  },
});

const listRecordsRoute = createRoute({
  method: 'get',
  path: '/datasets/{id}/records',
  tags: ['datasets'],
  summary: "A dataset's records, optionally by status",
  request: {
    params: idParam,
    query: paginationQuerySchema.extend({ status: z.enum(RECORD_STATUSES).optional().openapi({ description: 'candidate | accepted | rejected | surplus' }) }),
  },
  responses: { 200: { description: 'A page of records', content: { 'application/json': { schema: recordPage } } }, ...errorResponses(400, 401, 404) },
});

const listExportsRoute = createRoute({
  method: 'get',
  path: '/datasets/{id}/exports',
  tags: ['exports'],
  summary: "A dataset's exports, newest first",
  request: { params: idParam },
  responses: {
    200: { description: 'The exports', content: { 'application/json': { schema: z.object({ items: z.array(exportSchema) }) } } },
    ...errorResponses(401, 404),
  },
});

/** A dataset as the API shows it. */
function datasetView(row: DatasetRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    type: row.type,
    status: row.status,
    target: row.target,
    acceptedCount: row.acceptedCount,
    stopReason: row.stopReason,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

export function datasetRoutes(deps: ResolvedDeps) {
  const app = createRouter();
  const { database } = deps;

  app.openapi(createDatasetRoute, async (c) => {
    const row = await createDataset(database, c.get('user').id, c.req.valid('json'));
    return c.json(datasetView(row), 201);
  });

  app.openapi(listDatasetsRoute, async (c) => {
    const { limit, offset } = c.req.valid('query');
    const { rows, total } = await listDatasets(database, c.get('user').id, limit, offset);
    return c.json(page(rows.map(datasetView), total, limit, offset), 200);
  });

  app.openapi(getDatasetRoute, async (c) => {
    const row = await requireOwnedDataset(database, c.get('user').id, c.req.valid('param').id);
    return c.json({ ...datasetView(row), statistics: await datasetStatistics(database, row.id) }, 200);
  });

  app.openapi(updateDatasetRoute, async (c) => {
    const row = await updateDataset(database, c.get('user').id, c.req.valid('param').id, c.req.valid('json'));
    return c.json(datasetView(row), 200);
  });

  app.openapi(deleteDatasetRoute, async (c) => {
    const userId = c.get('user').id;
    const { id } = c.req.valid('param');
    await requireOwnedDataset(database, userId, id);
    const result = await deleteDataset(deps, userId, id);
    c.get('logger').info({ userId, ...result }, 'dataset deleted');
    return c.json({ deleted: true as const, ...result }, 200);
  });

  app.openapi(listRecordsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { limit, offset, status } = c.req.valid('query');
    await requireOwnedDataset(database, c.get('user').id, id);
    const where = status ? and(eq(records.datasetId, id), eq(records.status, status)) : eq(records.datasetId, id);
    const rows = await database.db
      .select()
      .from(records)
      .where(where)
      .orderBy(asc(records.acceptSeq), asc(records.createdAt), asc(records.id))
      .limit(limit)
      .offset(offset);
    const [{ total }] = await database.db.select({ total: count() }).from(records).where(where);
    const items = rows.map((r) => ({
      id: r.id,
      status: r.status as (typeof RECORD_STATUSES)[number],
      rejectReason: r.rejectReason,
      rejectDetail: r.rejectDetail,
      type: r.type,
      content: r.content,
      rawOutput: r.rawOutput,
      score: r.score,
      source: r.source,
      round: r.round,
      buildId: r.buildId,
      acceptSeq: r.acceptSeq,
      createdAt: iso(r.createdAt)!,
    }));
    return c.json(page(items, total, limit, offset), 200);
  });

  app.openapi(listExportsRoute, async (c) => {
    const { id } = c.req.valid('param');
    await requireOwnedDataset(database, c.get('user').id, id);
    const rows = await database.db.select().from(exportsTable).where(eq(exportsTable.datasetId, id)).orderBy(exportsTable.createdAt);
    return c.json({ items: rows.reverse().map(exportView) }, 200);
  });

  return app;
}
