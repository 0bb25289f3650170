// One contract, two stores: the local folder and S3 on a real SeaweedFS server started for this file.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeaweedFs, type SeaweedFsHandle } from '../../../src/infra/services/seaweedfs';
import { LocalObjectStore, ObjectNotFoundError, readObject, S3ObjectStore, deletePrefix, type ObjectStore } from '../../../src/infra/storage';

let seaweed: SeaweedFsHandle;
let localDir: string;

beforeAll(async () => {
  seaweed = await startSeaweedFs({ buckets: ['store-test'] });
  localDir = await mkdtemp(path.join(os.tmpdir(), 'datacreek-local-store-'));
});

afterAll(async () => {
  await seaweed?.stop();
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

const s3Store = (prefix: string, overrides: Partial<ConstructorParameters<typeof S3ObjectStore>[0]> = {}) =>
  new S3ObjectStore({
    bucket: 'store-test',
    prefix,
    endpoint: seaweed.endpoint,
    region: seaweed.region,
    accessKeyId: seaweed.accessKeyId,
    secretAccessKey: seaweed.secretAccessKey,
    forcePathStyle: true,
    ...overrides,
  });

/** A stream that yields some bytes, then fails: what a dropped upload connection looks like. */
function failingStream(): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(64 * 1024, 'x'));
      } else this.destroy(new Error('connection dropped'));
    },
  });
}

const stores: [string, () => ObjectStore][] = [
  ['local folder', () => new LocalObjectStore(path.join(localDir, `case-${Math.random().toString(36).slice(2)}`))],
  ['S3 (SeaweedFS)', () => s3Store(`case-${Math.random().toString(36).slice(2)}`)],
];

describe.each(stores)('ObjectStore on %s', (_name, open) => {
  it('writes strings, bytes and streams, and reads them back whole', async () => {
    const store = open();
    expect((await store.put('a/one.txt', 'hello')).size).toBe(5);
    expect((await store.put('a/two.bin', new Uint8Array([1, 2, 3]))).size).toBe(3);
    expect((await store.put('b/three.txt', Readable.from([Buffer.from('str'), Buffer.from('eam')]))).size).toBe(6);
    expect((await readObject(store, 'a/one.txt')).toString()).toBe('hello');
    expect([...(await readObject(store, 'a/two.bin'))]).toEqual([1, 2, 3]);
    expect((await readObject(store, 'b/three.txt')).toString()).toBe('stream');
    expect(await store.head('b/three.txt')).toMatchObject({ key: 'b/three.txt', size: 6 });
    store.close();
  });

  it('replaces an object, lists by prefix in key order, deletes', async () => {
    const store = open();
    await store.put('exports/ds-1/x.jsonl', 'old');
    await store.put('exports/ds-1/x.jsonl', 'newer');
    await store.put('exports/ds-1/a.jsonl', '1');
    await store.put('exports/ds-10/a.jsonl', '2');
    await store.put('uploads/u/f.txt', '3');
    expect((await readObject(store, 'exports/ds-1/x.jsonl')).toString()).toBe('newer');
    expect((await store.list('exports/ds-1/')).map((o) => [o.key, o.size])).toEqual([
      ['exports/ds-1/a.jsonl', 1],
      ['exports/ds-1/x.jsonl', 5],
    ]);
    // A prefix need not end at a folder.
    expect((await store.list('exports/ds-1')).map((o) => o.key)).toEqual(['exports/ds-1/a.jsonl', 'exports/ds-1/x.jsonl', 'exports/ds-10/a.jsonl']);
    expect(await store.list('nothing/')).toEqual([]);
    expect(await deletePrefix(store, 'exports/ds-1/')).toBe(2);
    await store.delete('exports/ds-1/never-there');
    expect(await store.head('exports/ds-1/x.jsonl')).toBeNull();
    expect((await store.list('')).map((o) => o.key)).toEqual(['exports/ds-10/a.jsonl', 'uploads/u/f.txt']);
    store.close();
  });

  it('says which object is missing', async () => {
    const store = open();
    const error = await store.get('no/such.txt').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectNotFoundError);
    expect(String(error)).toContain('no/such.txt');
    expect(await store.head('no/such.txt')).toBeNull();
    store.close();
  });

  it('refuses keys that could leave their folder or differ between stores', async () => {
    const store = open();
    for (const key of ['', '/abs', 'a/../b', 'a//b', '.hidden/x', 'a\\b']) {
      await expect(store.put(key, 'x')).rejects.toThrow(/object key/);
    }
    store.close();
  });

  it('never shows half an object when the body fails mid-write', async () => {
    const store = open();
    await expect(store.put('partial/big.bin', failingStream())).rejects.toThrow();
    expect(await store.head('partial/big.bin')).toBeNull();
    expect(await store.list('')).toEqual([]);
    store.close();
  });
});

describe('LocalObjectStore', () => {
  it('leaves no temp file after a failed write and no empty folder after a delete', async () => {
    const dir = path.join(localDir, 'tidy');
    const store = new LocalObjectStore(dir);
    await expect(store.put('a/b/c.bin', failingStream())).rejects.toThrow();
    expect(await readdir(path.join(dir, '.partial'))).toEqual([]);
    await store.put('a/b/c.txt', 'x');
    expect(store.locate('a/b/c.txt')).toBe(path.join(dir, 'a', 'b', 'c.txt'));
    await store.delete('a/b/c.txt');
    expect((await readdir(dir)).sort()).toEqual(['.partial']);
  });
});

describe('S3ObjectStore', () => {
  it('uploads a large body in parts and reads every byte back', async () => {
    const store = s3Store('large');
    // 12 MiB: over lib-storage's 5 MiB part size, so this is a real multipart upload.
    const body = Buffer.alloc(12 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    const chunks = Array.from({ length: 12 }, (_, i) => body.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
    expect((await store.put('big.bin', Readable.from(chunks))).size).toBe(body.length);
    expect((await store.head('big.bin'))?.size).toBe(body.length);
    expect((await readObject(store, 'big.bin')).equals(body)).toBe(true);
    expect(store.locate('big.bin')).toBe('s3://store-test/large/big.bin');
    store.close();
  });

  it('keeps prefixes apart within one bucket', async () => {
    const a = s3Store('tenant-a');
    const b = s3Store('tenant-b');
    await a.put('f.txt', 'a');
    await b.put('f.txt', 'b');
    expect((await readObject(a, 'f.txt')).toString()).toBe('a');
    expect((await b.list('')).map((o) => o.key)).toEqual(['f.txt']);
    a.close();
    b.close();
  });

  it('names the setting to fix for a missing bucket or wrong credentials', async () => {
    // (SeaweedFS creates a bucket on a write by an admin identity, so a read and a listing show the missing bucket.)
    const noBucket = s3Store('', { bucket: 'no-such-bucket' });
    await expect(noBucket.list('')).rejects.toThrow(/bucket "no-such-bucket".*does not exist.*storage\.url/);
    await expect(noBucket.get('x.txt')).rejects.toThrow(/bucket "no-such-bucket".*does not exist.*storage\.url/);
    noBucket.close();
    const wrongKey = s3Store('', { secretAccessKey: 'wrong' });
    await expect(wrongKey.put('x.txt', 'x')).rejects.toThrow(/storage\.access_key_id and storage\.secret_access_key/);
    wrongKey.close();
  });
});
