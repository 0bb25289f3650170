// /v1/exports: metadata and streamed downloads of export files, for the owner of the exported dataset only. Files
// are streamed from the object store, so any API node serves an export whichever worker wrote it.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../router';
import { and, eq } from 'drizzle-orm';
import { datasets, exportsTable } from '../../infra/db';
import type { ResolvedDeps } from '../context';
import { ApiError, badRequest, notFound } from '../errors';
import { isInside } from '../ingest-paths';
import { ObjectNotFoundError } from '../../infra/storage';
import { errorResponses, exportSchema, iso } from '../schemas';

type ExportRow = typeof exportsTable.$inferSelect;
interface ExportFile {
  split: string;
  /** The object-store key; missing on exports written before the object store, whose `path` is a local file. */
  key?: string;
  path: string;
  records: number;
  bytes: number;
}

export function exportView(row: ExportRow) {
  const files = (row.files as ExportFile[]) ?? [];
  return {
    id: row.id,
    datasetId: row.datasetId,
    format: row.format,
    files: files.map((f) => ({
      split: f.split,
      records: f.records,
      bytes: f.bytes,
      downloadUrl: `/v1/exports/${encodeURIComponent(row.id)}/download?split=${encodeURIComponent(f.split)}`,
    })),
    recordCount: row.recordCount,
    bytes: row.bytes,
    createdAt: iso(row.createdAt)!,
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.ndjson': 'application/x-ndjson; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.parquet': 'application/vnd.apache.parquet',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};
export const contentTypeOf = (file: string) => CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

/** A Content-Disposition that survives any file name: an ASCII fallback plus the RFC 5987 UTF-8 form. */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

const exportIdParam = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const getExportRoute = createRoute({
  method: 'get',
  path: '/exports/{id}',
  tags: ['exports'],
  summary: 'One export: its format, files and record counts',
  request: { params: exportIdParam },
  responses: { 200: { description: 'The export', content: { 'application/json': { schema: exportSchema } } }, ...errorResponses(401, 404) },
});

const downloadRoute = createRoute({
  method: 'get',
  path: '/exports/{id}/download',
  tags: ['exports'],
  summary: 'Download one split of an export (streamed)',
  request: {
    params: exportIdParam,
    query: z
      .object({ split: z.string().min(1).optional().openapi({ description: 'train | validation | test (optional when the export has one file)' }) })
      .strict(),
  },
  responses: {
    200: {
      description: 'The file, with Content-Disposition naming it',
      content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    ...errorResponses(400, 401, 404),
  },
});

export function exportRoutes(deps: ResolvedDeps) {
  const app = createRouter();

  async function requireOwnedExport(ownerId: string, id: string): Promise<ExportRow> {
    const [row] = await deps.database.db
      .select({ exp: exportsTable })
      .from(exportsTable)
      .innerJoin(datasets, eq(datasets.id, exportsTable.datasetId))
      .where(and(eq(exportsTable.id, id), eq(datasets.ownerId, ownerId)));
    if (!row) throw notFound('export', id, "List a dataset's exports with GET /v1/datasets/{id}/exports.");
    return row.exp;
  }

  app.openapi(getExportRoute, async (c) => {
    const row = await requireOwnedExport(c.get('user').id, c.req.valid('param').id);
    return c.json(exportView(row), 200);
  });

  app.openapi(downloadRoute, async (c) => {
    const row = await requireOwnedExport(c.get('user').id, c.req.valid('param').id);
    const { split } = c.req.valid('query');
    const files = (row.files as ExportFile[]) ?? [];
    const splits = files.map((f) => f.split);
    let file: ExportFile | undefined;
    if (split) file = files.find((f) => f.split === split);
    else if (files.length === 1) file = files[0];
    else throw badRequest('split_required', `Export "${row.id}" has several files`, `Choose one with ?split=${splits.join('|')}.`);
    if (!file) throw notFound('split', split ?? '', `Export "${row.id}" has the splits: ${splits.join(', ') || '(none)'}.`);

    const download = file.key ? await fromObjectStore(file.key) : await fromExportsFolder(file.path);
    if (!download) {
      throw new ApiError(
        404,
        'export_file_missing',
        `The ${file.split} file of export "${row.id}" no longer exists on the server`,
        'Export the dataset again (POST /v1/tasks/save).',
      );
    }
    return c.body(Readable.toWeb(download.stream) as ReadableStream<Uint8Array>, 200, {
      'Content-Type': contentTypeOf(download.name),
      'Content-Length': String(download.size),
      'Content-Disposition': attachmentDisposition(download.name),
    });
  });

  async function fromObjectStore(key: string): Promise<{ stream: Readable; size: number; name: string } | null> {
    const store = deps.objectStore();
    const info = await store.head(key);
    if (!info) return null;
    const stream = await store.get(key).catch((err) => {
      // Deleted between the two calls: the same answer as a file that was never there.
      if (err instanceof ObjectNotFoundError) return null;
      throw err;
    });
    return stream && { stream, size: info.size, name: path.posix.basename(key) };
  }

  /** An export written before the object store: only files under the exports folder are served, whatever a row says. */
  async function fromExportsFolder(filePath: string): Promise<{ stream: Readable; size: number; name: string } | null> {
    const exportsDir = path.resolve(deps.config.paths.exports_dir);
    const abs = path.resolve(exportsDir, filePath);
    if (!isInside(abs, exportsDir)) return null;
    const info = await stat(abs).catch(() => null);
    if (!info?.isFile()) return null;
    return { stream: createReadStream(abs), size: info.size, name: path.basename(abs) };
  }

  return app;
}
