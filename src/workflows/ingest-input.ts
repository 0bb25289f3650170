// The one JSON object that starts an ingest, whether it comes from HTTP, the datacreek CLI or
// `temporal workflow start --input`. Validated inside the workflow too, so a bad input fails fast and says why.
import { z } from 'zod';
import { DATASET_ID_PATTERN } from './ids';

export const ingestItemSchema = z.union([
  z.object({ path: z.string().min(1).describe('A file or directory on the worker machine') }).strict(),
  z.object({ url: z.string().url().describe('A web page, a document URL or a YouTube video') }).strict(),
  z
    .object({
      upload: z.string().min(1).describe('An uploaded file: its object-store key, uploads/<user>/<id>/<name> (the API sets it for multipart uploads)'),
    })
    .strict(),
]);
export type IngestItem = z.infer<typeof ingestItemSchema>;

export const chunkingOverrideSchema = z
  .object({
    strategy: z.enum(['basic', 'sliding', 'semantic', 'token']),
    chunk_size: z.number().int().positive(),
    overlap: z.number().int().min(0),
    whole_document_below: z.number().int().min(0),
    similarity_drop: z.number().min(0).max(2),
  })
  .partial()
  .strict();

export const ingestInputSchema = z
  .object({
    datasetId: z.string().regex(DATASET_ID_PATTERN, 'use lowercase letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit'),
    ownerId: z.string().min(1).default('local'),
    items: z.array(ingestItemSchema).min(1, 'give at least one path or URL to ingest'),
    include: z.array(z.string()).optional(),
    exclude: z.array(z.string()).optional(),
    chunking: chunkingOverrideSchema.optional(),
    /** Documents ingested at once. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /**
     * Set by the HTTP API, never by its callers: the real folders (ingest.allowed_roots) that every file found
     * must resolve into. Links leading elsewhere are skipped. Unset (CLI): links are followed.
     */
    allowedRoots: z.array(z.string()).optional(),
  })
  .strict();
export type IngestInput = z.input<typeof ingestInputSchema>;
export type ParsedIngestInput = z.output<typeof ingestInputSchema>;

export interface IngestFileResult {
  /** The path (relative to the ingested directory when there is one) or URL. */
  item: string;
  status: 'ingested' | 'unchanged' | 'failed';
  sourceId?: string;
  format?: string;
  chunks?: number;
  seedRecords?: number;
  error?: { code: string; message: string; hint?: string };
}

export interface IngestResult {
  datasetId: string;
  files: IngestFileResult[];
  skipped: { item: string; reason: string }[];
  totals: { ingested: number; unchanged: number; failed: number; skipped: number; chunks: number; seedRecords: number };
}
