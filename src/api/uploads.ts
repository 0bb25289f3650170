// Files uploaded to POST /v1/tasks/ingest are written to <data_dir>/uploads/<user>/<uuid>/<name> and then
// ingested by path, like any server file. Names are reduced to a safe base name so an upload can never write
// outside its own folder.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export interface SavedUploads {
  folder: string;
  paths: string[];
  /** Removes the folder again, when the ingest could not be started. */
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

export async function saveUploads(dataDir: string, userId: string, files: File[]): Promise<SavedUploads> {
  const folder = path.join(dataDir, 'uploads', userId, randomUUID());
  await mkdir(folder, { recursive: true });
  const used = new Set<string>();
  const paths: string[] = [];
  try {
    for (const file of files) {
      const name = uniqueName(safeUploadName(file.name), used);
      const target = path.join(folder, name);
      await pipeline(Readable.fromWeb(file.stream() as WebReadableStream<Uint8Array>), createWriteStream(target, { flags: 'wx' }));
      paths.push(target);
    }
  } catch (err) {
    await rm(folder, { recursive: true, force: true });
    throw err;
  }
  return { folder, paths, discard: () => rm(folder, { recursive: true, force: true }) };
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
