// Moving local files into the store: what an activity does after writing output with a library that needs a folder.
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectInfo, ObjectStore } from './object-store';

/** Puts every file under `dir` at `<prefix><relative path>`; `onEach` runs after each (e.g. to heartbeat). */
export async function putDirectory(store: ObjectStore, dir: string, prefix: string, onEach?: (object: ObjectInfo) => void): Promise<ObjectInfo[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: ObjectInfo[] = [];
  for (const entry of entries.filter((e) => e.isFile())) {
    const file = path.join(entry.parentPath, entry.name);
    const object = await store.put(`${prefix}${path.relative(dir, file).split(path.sep).join('/')}`, createReadStream(file));
    out.push(object);
    onEach?.(object);
  }
  return out;
}
