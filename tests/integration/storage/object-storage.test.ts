// Several machines sharing only Temporal, PostgreSQL and a bucket: the API and the worker here have separate data
// folders (as on two machines) and storage.url on a real SeaweedFS server. An upload received by the API is ingested
// by the worker, the chunk vectors land in LanceDB on s3://, the API searches the same tables, the export written
// by the worker's activity is downloaded through the API streaming from S3, and deleting the dataset removes it all.
import { existsSync } from 'node:fs';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DatacreekConfig } from '../../../src/infra/config/schema';
import { startSeaweedFs, type SeaweedFsHandle } from '../../../src/infra/services/seaweedfs';
import { lanceLocation, openObjectStore, readObject, type ObjectStore } from '../../../src/infra/storage';
import { chunkTableName, embedLexicalOne, openConfiguredVectorStore, vectorTableName } from '../../../src/infra/vectors';
import type { RunningWorker } from '../../../src/worker/worker';
import { testConfig, testWorker, uniqueId } from '../../support/env';
import { startApiHarness, waitFor, type ApiHarness, type TestUser } from '../api/harness';

const BUCKET = 'datacreek-it';
const MARKDOWN =
  '# Tides\n\nTides are the rise and fall of sea levels caused by the Moon and the Sun.\n\n## Spring tides\n\nThey happen at new and full moon, when the pull of the Sun and the Moon lines up.\n';

let seaweed: SeaweedFsHandle;
let workerConfig: DatacreekConfig;
let worker: RunningWorker;
let h: ApiHarness;
let alice: TestUser;
let store: ObjectStore;

beforeAll(async () => {
  seaweed = await startSeaweedFs({ buckets: [BUCKET] });
  // Both processes name the same bucket, prefix and task queue, and nothing else in common.
  const shared = {
    storage: seaweed.storageConfig(BUCKET, uniqueId('run')),
    temporal: { task_queue: uniqueId('storage') },
    embedding: { provider: 'lexical' },
  };
  workerConfig = testConfig(shared);
  worker = await testWorker(workerConfig);
  h = await startApiHarness(shared);
  alice = await h.createUser(`alice-${uniqueId('u')}`);
  store = openObjectStore(h.config.storage);
});

afterAll(async () => {
  await worker?.shutdown();
  await h?.close();
  store?.close();
  await seaweed?.stop();
});

async function finished(taskId: string): Promise<any> {
  return waitFor(
    `task ${taskId}`,
    async () => {
      const task = await h.call('GET', `/v1/tasks/${taskId}`, { key: alice.key });
      return task.body.status === 'running' ? undefined : task.body;
    },
    90_000,
  );
}

describe('object storage shared by the API and the worker', () => {
  const datasetId = uniqueId('shared');

  it('ingests an upload from the bucket and keeps the chunk vectors in LanceDB on s3://', async () => {
    expect(h.config.paths.data_dir).not.toBe(workerConfig.paths.data_dir);
    const form = new FormData();
    form.set('datasetId', datasetId);
    form.append('file', new File([MARKDOWN], 'tides.md', { type: 'text/markdown' }));
    const started = await h.call('POST', '/v1/tasks/ingest', { key: alice.key, body: form });
    expect(started.status).toBe(202);
    const task = await finished(started.body.taskId);
    expect(task.status).toBe('completed');
    expect(task.result.totals).toMatchObject({ ingested: 1, failed: 0 });

    const uploads = await store.list(`uploads/${alice.id}/`);
    expect(uploads.map((o) => o.key.split('/').pop())).toEqual(['tides.md']);
    expect(uploads[0].size).toBe(Buffer.byteLength(MARKDOWN));
    // Nothing went through either machine's disk.
    expect(existsSync(`${h.config.paths.data_dir}/uploads`)).toBe(false);
    expect(existsSync(workerConfig.paths.lancedb_dir)).toBe(false);

    // LanceDB itself, opened on the bucket with the same storage options: the table is there.
    const location = lanceLocation(h.config);
    expect(location.uri).toBe(`${h.config.storage.url}/lancedb`);
    const db = await lancedb.connect(location.uri, { storageOptions: location.storageOptions });
    expect(await db.tableNames()).toContain(chunkTableName(datasetId));
    db.close();
    // And the objects LanceDB wrote are in the bucket, under the same prefix.
    expect((await store.list(`lancedb/${chunkTableName(datasetId)}.lance/`)).length).toBeGreaterThan(0);

    // The API's process searches the worker's vectors.
    const vectors = await openConfiguredVectorStore(h.config);
    try {
      const hits = await vectors.search(chunkTableName(datasetId), embedLexicalOne('spring tides new and full moon', h.config.embedding.dimensions), 1);
      expect(hits).toHaveLength(1);
      expect(hits[0].text).toContain('Spring tides');
    } finally {
      await vectors.close();
    }
  });

  it('maintains a table in the bucket and builds its IVF index (in a child process given the storage options)', async () => {
    const vectors = await openConfiguredVectorStore(h.config);
    const table = vectorTableName(uniqueId('indexed'), 'records');
    try {
      let seed = 11;
      const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
      const rows = Array.from({ length: 300 }, (_, i) => ({ id: `v${i}`, vector: Array.from({ length: 16 }, next), text: `row ${i}` }));
      await vectors.upsert(table, rows);
      expect(await vectors.maintain(table, { indexAtRows: 200 })).toEqual({ rows: 300, indexed: true, indexPartitions: 17 });
      const location = lanceLocation(h.config);
      const db = await lancedb.connect(location.uri, { storageOptions: location.storageOptions });
      const indices = await (await db.openTable(table)).listIndices();
      db.close();
      expect(indices.some((index) => index.columns.includes('vector'))).toBe(true);
      expect((await vectors.search(table, rows[42].vector, 1))[0]).toMatchObject({ id: 'v42' });
    } finally {
      await vectors.dropTable(table);
      await vectors.close();
    }
  });

  it('writes the export to the bucket in the activity, and the API streams it back from S3', async () => {
    // Accepted records, written as a build would.
    for (let i = 0; i < 10; i++) {
      const content = { type: 'qa', question: `What causes tide ${i}?`, answer: `The Moon and the Sun, case ${i}.` };
      await h.database.sql`insert into records (id, dataset_id, batch_id, round, position, status, type, content, content_hash, accept_seq)
        values (${`seed-${datasetId}/${i}`}, ${datasetId}, ${`b-${datasetId}`}, 1, ${i}, 'accepted', 'qa', ${h.database.sql.json(content)}, ${`h-${datasetId}-${i}`}, ${i + 1})`;
    }
    const started = await h.call('POST', '/v1/tasks/save', {
      key: alice.key,
      json: { datasetId, format: 'alpaca', split: { train: 0.8, validation: 0, test: 0.2 }, seed: 3 },
    });
    expect(started.status).toBe(202);
    const task = await finished(started.body.taskId);
    expect(task.status).toBe('completed');
    const exportId = task.result.exportId as string;
    const train = (task.result.files as { split: string; key: string; path: string; records: number }[]).find((f) => f.split === 'train')!;
    expect(train.records).toBe(8);
    expect(train.key).toMatch(new RegExp(`^exports/${datasetId}/`));
    expect(train.path).toBe(`${h.config.storage.url}/${train.key}`);
    expect(existsSync(workerConfig.paths.exports_dir)).toBe(false);

    const download = await h.app.request(`/v1/exports/${exportId}/download?split=train`, { headers: { 'x-api-key': alice.key } });
    expect(download.status).toBe(200);
    const body = Buffer.from(await download.arrayBuffer());
    expect(body.equals(await readObject(store, train.key))).toBe(true);
    expect(download.headers.get('content-length')).toBe(String(body.length));
    expect(download.headers.get('content-disposition')).toContain(train.key.split('/').pop()!);
    expect(
      body
        .toString()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).instruction),
    ).toHaveLength(8);

    // A file gone from the bucket is a clear 404, not a broken stream.
    await store.delete(train.key);
    const gone = await h.call('GET', `/v1/exports/${exportId}/download?split=train`, { key: alice.key });
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('export_file_missing');
  });

  it('deleting the dataset removes its objects and its LanceDB tables from the bucket', async () => {
    expect((await store.list(`exports/${datasetId}/`)).length).toBeGreaterThan(0);
    const deleted = await h.call('DELETE', `/v1/datasets/${datasetId}`, { key: alice.key });
    expect(deleted.status).toBe(200);
    expect(await store.list(`exports/${datasetId}/`)).toEqual([]);
    // Every object of the dropped table is gone from the bucket. (SeaweedFS still lists the emptied folder, which
    // LanceDB's table listing then shows; the objects, and so the vectors, are gone.)
    expect(await store.list(`lancedb/${chunkTableName(datasetId)}.lance/`)).toEqual([]);
  });

  it('a deleted dataset can be ingested again under the same id, though the bucket still lists its old table', async () => {
    const form = new FormData();
    form.set('datasetId', datasetId);
    form.append('file', new File([MARKDOWN], 'tides-again.md', { type: 'text/markdown' }));
    const started = await h.call('POST', '/v1/tasks/ingest', { key: alice.key, body: form });
    expect(started.status).toBe(202);
    const task = await finished(started.body.taskId);
    expect(task.status).toBe('completed');
    expect(task.result.totals).toMatchObject({ ingested: 1, failed: 0 });
    const vectors = await openConfiguredVectorStore(h.config);
    try {
      const hits = await vectors.search(chunkTableName(datasetId), embedLexicalOne('spring tides new and full moon', h.config.embedding.dimensions), 1);
      expect(hits[0]?.text).toContain('Spring tides');
    } finally {
      await vectors.close();
    }
  });
});
