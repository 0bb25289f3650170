// What an ingest will do with each item, decided once, the same way for the ingest itself and for `--preview`:
// every entry under a folder is either planned (a document to chunk, a dataset to import, or a file that will
// fail with its own error) or skipped with its reason. Nothing is read here beyond names and sizes.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { listDocuments, type ListedFile } from '../domain/parsers';
import type { IngestItem } from '../workflows/ingest-input';

/** Existing datasets are imported as seed records rather than chunked as documents. */
const DATASET_EXTENSIONS = new Set(['.json', '.jsonl', '.ndjson', '.csv', '.parquet']);

export interface PlannedFile {
  /** What the person named: a path relative to the ingested directory, a file path or a URL. */
  label: string;
  path?: string;
  url?: string;
  /** An uploaded file's object-store key. */
  upload?: string;
  kind: 'document' | 'dataset';
  /** Real folders the file must still resolve into when it is read (an API request); unset for the CLI. */
  allowedRoots?: string[];
}

export interface IngestPlan {
  files: PlannedFile[];
  skipped: { item: string; reason: string }[];
}

/** One line of a preview: exactly what the ingest will do with the entry. */
export interface PlanEntry {
  item: string;
  action: 'ingest document' | 'import dataset' | 'fetch' | 'fail' | 'skip';
  format?: string;
  size?: number;
  /** Why it is skipped or will fail. */
  reason?: string;
  /** For a symbolic link that is followed: where it leads. */
  linkTarget?: string;
}

export interface PlanOptions {
  include?: string[];
  exclude?: string[];
  maxFileBytes: number;
  /** Real folders every file found must resolve into (API requests); unset: links are followed (local CLI). */
  allowedRoots?: string[];
}

export async function planIngest(items: IngestItem[], opts: PlanOptions): Promise<IngestPlan & { entries: PlanEntry[] }> {
  const files: PlannedFile[] = [];
  const skipped: IngestPlan['skipped'] = [];
  const entries: PlanEntry[] = [];
  const confined = opts.allowedRoots ? { allowedRoots: opts.allowedRoots } : {};
  for (const item of items) {
    if ('url' in item) {
      files.push({ label: item.url, url: item.url, kind: 'document' });
      entries.push({ item: item.url, action: 'fetch', format: 'url' });
      continue;
    }
    if ('upload' in item) {
      // Read from the object store when ingested; it is reported under the name it was uploaded with.
      const label = path.posix.basename(item.upload);
      const kind = kindOf(label);
      files.push({ label, upload: item.upload, kind });
      entries.push({ item: label, action: kind === 'dataset' ? 'import dataset' : 'ingest document' });
      continue;
    }
    const abs = path.resolve(item.path);
    const info = await stat(abs).catch(() => null);
    if (!info?.isDirectory()) {
      // A named file (or a missing one) is always attempted, so it fails with its own reason next to the others.
      const kind = kindOf(abs);
      files.push({ label: item.path, path: abs, kind, ...confined });
      entries.push(
        info
          ? { item: item.path, action: kind === 'dataset' ? 'import dataset' : 'ingest document', size: info.size }
          : { item: item.path, action: 'fail', reason: 'no such file or directory' },
      );
      continue;
    }
    const listed = await listDocuments(abs, {
      include: opts.include,
      exclude: opts.exclude,
      maxFileBytes: opts.maxFileBytes,
      confineTo: opts.allowedRoots,
    });
    for (const f of listed) {
      const label = path.join(item.path, f.relativePath);
      const decision = decide(f);
      entries.push({ item: label, format: f.format ?? undefined, size: f.size, linkTarget: f.linkTarget, ...decision });
      if (decision.action === 'skip') skipped.push({ item: label, reason: decision.reason });
      else files.push({ label, path: f.path, kind: decision.action === 'import dataset' ? 'dataset' : 'document', ...confined });
    }
  }
  return { files, skipped, entries };
}

/**
 * Unsupported formats and everything found while walking (hidden, excluded, links, odd names) are skipped; an
 * empty or oversized document is attempted, so it fails with its own error next to the others.
 */
function decide(
  f: ListedFile,
): { action: Exclude<PlanEntry['action'], 'fetch'>; reason: string } | { action: 'ingest document' | 'import dataset'; reason?: undefined } {
  if (!f.skipped) return { action: 'ingest document' };
  if (f.skipped.code === 'unsupported_format') {
    return kindOf(f.path) === 'dataset' ? { action: 'import dataset' } : { action: 'skip', reason: `unsupported type: ${f.skipped.reason}` };
  }
  if (f.skipped.code === 'empty_document' || f.skipped.code === 'too_large') return { action: 'fail', reason: f.skipped.reason };
  return { action: 'skip', reason: f.skipped.reason };
}

export function kindOf(file: string): PlannedFile['kind'] {
  return DATASET_EXTENSIONS.has(path.extname(file).toLowerCase()) ? 'dataset' : 'document';
}
