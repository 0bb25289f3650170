// Files uploaded to POST /v1/tasks/ingest are put in the object store at uploads/<user>/<uuid>/<name> and then
// ingested from there by whichever worker runs the task. Names are reduced to a safe base name so an upload can
// never land outside its own folder.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { uploadKey, userUploadsPrefix, type ObjectStore } from '../infra/storage';
import { ApiError } from './errors';

export interface SavedUploads {
  /** The object keys, one per file, in the order given. */
  keys: string[];
  /** Removes the objects again, when the ingest could not be started. */
  discard(): Promise<void>;
}

/** A file name safe on any file system: no folders, no leading dots, no control or reserved characters. */
export function safeUploadName(name: string): string {
  const base = path.basename(name.replace(/\\/g, '/'));
  const cleaned = base
    .replace(/[^\p{L}\p{N} ._()+-]/gu, '_')
    .replace(/^[.\s]+/, '')
    .slice(-200)
    .trim();
  return cleaned || 'upload';
}

export async function saveUploads(store: ObjectStore, userId: string, files: File[]): Promise<SavedUploads> {
  const requestId = randomUUID();
  const used = new Set<string>();
  const keys: string[] = [];
  const discard = async () => {
    for (const key of keys) await store.delete(key);
  };
  try {
    for (const file of files) {
      const key = uploadKey(userId, requestId, uniqueName(safeUploadName(file.name), used));
      // Recorded before the write, so a failed write is cleaned up too (deleting a missing object is no error).
      keys.push(key);
      await store.put(key, Readable.fromWeb(file.stream() as WebReadableStream<Uint8Array>));
    }
  } catch (err) {
    await discard();
    throw err;
  }
  return { keys, discard };
}

/** Two uploads named alike in one request keep both: `a.txt`, `a (2).txt`. */
function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let i = 2; used.has(candidate.toLowerCase()); i++) candidate = `${stem} (${i})${ext}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

/** An ingest may name an earlier upload by key, but only one of the caller's own. */
export function assertOwnUpload(key: string, userId: string): void {
  if (!key.startsWith(userUploadsPrefix(userId)) || key.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new ApiError(
      403,
      'forbidden_upload',
      `"${key}" is not one of your uploads`,
      `Upload the file (multipart/form-data with a file field), or name a key under "${userUploadsPrefix(userId)}".`,
    );
  }
}
