// The embedded default: objects are files under one local folder. A write goes to a temp file in the folder's
// `.partial` directory (same file system) and is renamed into place, so a reader never sees half a file.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidKey, ObjectNotFoundError, type ObjectBody, type ObjectInfo, type ObjectStore } from './object-store';

const PARTIAL_DIR = '.partial';

export class LocalObjectStore implements ObjectStore {
  readonly url: string;

  constructor(private readonly root: string) {
    if (!path.isAbsolute(root)) throw new Error(`a local object store needs an absolute folder, got "${root}"`);
    this.url = `file:${root}`;
  }

  locate(key: string): string {
    assertValidKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: ObjectBody, _options?: { contentType?: string }): Promise<ObjectInfo> {
    const target = this.locate(key);
    const partialDir = path.join(this.root, PARTIAL_DIR);
    await mkdir(partialDir, { recursive: true });
    const temp = path.join(partialDir, randomUUID());
    try {
      const source = typeof body === 'string' || body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : body;
      await pipeline(source, createWriteStream(temp, { flags: 'wx' }));
      await mkdir(path.dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return (await this.head(key))!;
  }

  async get(key: string): Promise<Readable> {
    const file = this.locate(key);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new ObjectNotFoundError(this.url, key);
    return createReadStream(file);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const info = await stat(this.locate(key)).catch(() => null);
    return info?.isFile() ? { key, size: info.size, lastModified: info.mtime } : null;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    // Only the folder the prefix points into is walked, not the whole store.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = folder ? this.locate(folder) : this.root;
    const entries = await readdir(start, { recursive: true, withFileTypes: true }).catch(() => []);
    const out: ObjectInfo[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const key = path.relative(this.root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
      if (!key.startsWith(prefix) || key.split('/')[0] === PARTIAL_DIR) continue;
      const info = await this.head(key);
      if (info) out.push(info);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const file = this.locate(key);
    await rm(file, { force: true });
    // Folders left empty go too, up to the store's root, so a deleted dataset leaves nothing behind.
    for (let dir = path.dirname(file); dir !== this.root && dir.startsWith(this.root + path.sep); dir = path.dirname(dir)) {
      const removed = await rmdir(dir).then(
        () => true,
        () => false,
      );
      if (!removed) break;
    }
  }

  close(): void {}
}
