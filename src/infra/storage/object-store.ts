// The object store: where everything that is a file lives (uploads, exports, quality reports), so that any
// machine can read what another wrote. Keys are `/`-separated relative names. A write is visible whole or not at
// all (a local temp file renamed into place; one PUT or a completed multipart upload on S3).
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export type ObjectBody = Readable | Uint8Array | string;

export interface ObjectStore {
  /** The store's own URL: `file:/abs/dir` or `s3://bucket/prefix`. */
  readonly url: string;
  /** Writes `key` whole (replacing it) and returns its size. */
  put(key: string, body: ObjectBody, options?: { contentType?: string }): Promise<ObjectInfo>;
  /** The object's bytes as a stream; throws ObjectNotFoundError when there is none. */
  get(key: string): Promise<Readable>;
  /** Size and time of `key`, or null when there is no such object. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix` (not only direct children), sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Removes `key`; no error when it does not exist. */
  delete(key: string): Promise<void>;
  /** Where a person finds the object: a local path, or `s3://bucket/prefix/key`. */
  locate(key: string): string;
  close(): void;
}

export class ObjectNotFoundError extends Error {
  constructor(
    readonly storeUrl: string,
    readonly key: string,
  ) {
    super(`no object "${key}" in the object store ${storeUrl}`);
    this.name = 'ObjectNotFoundError';
  }
}

/**
 * Keys are checked the same way by every store, so a key that works locally works on S3 too and none can leave its
 * folder: `/`-separated, no empty, `.`/`..` or dot-leading segments (a local store keeps its temp files in one).
 */
export function assertValidKey(key: string): void {
  const problem =
    key.length === 0
      ? 'is empty'
      : key.length > 900
        ? 'is longer than 900 characters'
        : /[\u0000-\u001f\\]/.test(key)
          ? 'contains a control character or a backslash'
          : key.split('/').some((segment) => segment.length === 0 || segment.startsWith('.'))
            ? 'has an empty segment or one starting with "."'
            : null;
  if (problem) throw new Error(`object key "${key}" ${problem}: use "/"-separated names such as "exports/<dataset>/<file>"`);
}

/** Reads a whole object into memory (for files already limited in size, such as an upload being ingested). */
export async function readObject(store: ObjectStore, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of await store.get(key)) parts.push(Buffer.isBuffer(part) ? part : Buffer.from(part as Uint8Array));
  return Buffer.concat(parts);
}

/** Removes every object under `prefix`; returns how many there were. */
export async function deletePrefix(store: ObjectStore, prefix: string): Promise<number> {
  const objects = await store.list(prefix);
  for (const object of objects) await store.delete(object.key);
  return objects.length;
}
