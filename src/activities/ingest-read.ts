// The read stage of an ingest: one planned file or URL as bytes (or, for a YouTube video, its transcript already
// parsed). Uploads are read from the object store; local files on the worker machine, confined to the allowed
// roots an API request set.
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DatacreekConfig } from '../infra/config';
import { DocumentError, fetchUrl, fetchYouTubeTranscript, isYouTubeUrl, type ParsedDocument } from '../domain/parsers';
import { isInside, LINK_OUTSIDE_ROOTS_REASON } from '../domain/parsers';
import { readObject, type ObjectStore } from '../infra/storage';
import { asNonRetryable, badInput } from './errors';
import type { PlannedFile } from './ingest-plan';

export interface ReadSource {
  fileName: string;
  bytes: Uint8Array;
  parsed?: ParsedDocument;
  encoding?: string;
  sourceUrl?: string;
}

export async function readSource(config: DatacreekConfig, file: PlannedFile, objectStore: () => ObjectStore): Promise<ReadSource> {
  if (file.upload) return readUpload(config, objectStore(), file.upload, file.label);
  if (file.url) {
    try {
      if (isYouTubeUrl(file.url)) {
        const parsed = await fetchYouTubeTranscript(file.url, { allowPrivateNetworks: config.ingest.allow_private_networks });
        return { fileName: parsed.fileName, bytes: new TextEncoder().encode(parsed.text), parsed };
      }
      const fetched = await fetchUrl(file.url, {
        maxBytes: config.ingest.max_file_bytes,
        allowPrivateNetworks: config.ingest.allow_private_networks,
      });
      return { fileName: fetched.fileName, bytes: fetched.bytes, encoding: fetched.charset, sourceUrl: fetched.finalUrl };
    } catch (err) {
      // A refused address or a 404 will not change on retry; a network blip or a 5xx might.
      if (err instanceof DocumentError && !err.retryable) asNonRetryable(err, 'DocumentError');
      throw err;
    }
  }
  const filePath = await confinedPath(file);
  const fileName = path.basename(file.path!);
  const info = await stat(filePath).catch(() => null);
  if (!info) throw badInput('NotFound', `${file.label}: no such file or directory`, 'Check the path; it is read on the worker machine.');
  if (info.size > config.ingest.max_file_bytes) {
    throw badInput(
      'DocumentError:too_large',
      `${file.label}: ${info.size} bytes is over the limit of ${config.ingest.max_file_bytes}`,
      'Split the file, or raise ingest.max_file_bytes.',
    );
  }
  return { fileName, bytes: new Uint8Array(await readFile(filePath)) };
}

/** An uploaded file, from the object store: whichever machine received the upload, every worker reads it. */
async function readUpload(config: DatacreekConfig, store: ObjectStore, key: string, label: string): Promise<ReadSource> {
  const info = await store.head(key);
  if (!info)
    throw badInput(
      'NotFound',
      `${label}: the upload "${key}" is not in the object store ${store.url}`,
      'Upload the file again; every worker and API node must use the same storage.url.',
    );
  if (info.size > config.ingest.max_file_bytes) {
    throw badInput(
      'DocumentError:too_large',
      `${label}: ${info.size} bytes is over the limit of ${config.ingest.max_file_bytes}`,
      'Split the file, or raise ingest.max_file_bytes.',
    );
  }
  return { fileName: label, bytes: new Uint8Array(await readObject(store, key)) };
}

/**
 * The path to read. For an API request the file is resolved again here, just before reading, so a file swapped
 * for a link after planning cannot lead outside the allowed roots either.
 */
async function confinedPath(file: PlannedFile): Promise<string> {
  if (!file.allowedRoots) return file.path!;
  const real = await realpath(file.path!).catch(() => null);
  if (!real) throw badInput('NotFound', `${file.label}: no such file or directory`, 'Check the path; it is read on the worker machine.');
  if (!file.allowedRoots.some((root) => isInside(real, root))) {
    throw badInput('Forbidden:link_outside_roots', `${file.label}: ${LINK_OUTSIDE_ROOTS_REASON}`, 'Copy the file into an allowed root, or upload it instead.');
  }
  return real;
}
