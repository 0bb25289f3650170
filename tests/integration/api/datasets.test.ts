import { existsSync, readFileSync } from 'node:fs';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectorTableName } from '../../../src/infra/vectors/table-names';
import { seedDatasetContent, startApiHarness, terminateQuietly, type ApiHarness, type TestUser } from './harness';

let h: ApiHarness;
let alice: TestUser;
const uid = () => Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  h = await startApiHarness();
  alice = await h.createUser('alice');
});
afterAll(async () => {
  await h?.close();
});

describe('/v1/datasets', () => {
  it('creates a dataset (201) and refuses a taken id (409), a bad id, an unknown type and unknown fields (400)', async () => {
    const id = `faq-${uid()}`;
    const created = await h.call('POST', '/v1/datasets', { key: alice.key, json: { id, name: 'FAQ', description: 'support answers', type: 'cot' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id, name: 'FAQ', description: 'support answers', type: 'cot', status: 'idle', acceptedCount: 0 });

    const taken = await h.call('POST', '/v1/datasets', { key: alice.key, json: { id } });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('dataset_exists');

    const badId = await h.call('POST', '/v1/datasets', { key: alice.key, json: { id: 'Has Spaces/..' } });
    expect(badId.status).toBe(400);
    expect(badId.body.error.issues[0].path).toBe('id');

    const badType = await h.call('POST', '/v1/datasets', { key: alice.key, json: { id: `x-${uid()}`, type: 'poetry' } });
    expect(badType.status).toBe(400);
    expect(badType.body.error.issues[0]).toMatchObject({ path: 'type' });

    const unknownField = await h.call('POST', '/v1/datasets', { key: alice.key, json: { id: `x-${uid()}`, owner: 'bob' } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.issues[0].message).toContain('"owner"');

    const malformed = await h.call('POST', '/v1/datasets', { key: alice.key, json: '{"id": "x",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_body');
  });

  it("lists the caller's datasets in pages", async () => {
    const user = await h.createUser('pager');
    for (let i = 0; i < 3; i++) await h.call('POST', '/v1/datasets', { key: user.key, json: { id: `page-${i}-${uid()}` } });
    const first = await h.call('GET', '/v1/datasets?limit=2', { key: user.key });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ total: 3, limit: 2, offset: 0, nextOffset: 2 });
    expect(first.body.items).toHaveLength(2);
    const second = await h.call('GET', '/v1/datasets?limit=2&offset=2', { key: user.key });
    expect(second.body).toMatchObject({ total: 3, nextOffset: null });
    expect(second.body.items).toHaveLength(1);
    const ids = [...first.body.items, ...second.body.items].map((d: { id: string }) => d.id);
    expect(new Set(ids).size).toBe(3);
    expect((await h.call('GET', '/v1/datasets?limit=0', { key: user.key })).status).toBe(400);
    expect((await h.call('GET', '/v1/datasets?limit=abc', { key: user.key })).status).toBe(400);
  });

  it('shows statistics, records by status, and renames', async () => {
    const id = `stats-${uid()}`;
    await h.call('POST', '/v1/datasets', { key: alice.key, json: { id } });
    await seedDatasetContent(h, id);

    const got = await h.call('GET', `/v1/datasets/${id}`, { key: alice.key });
    expect(got.status).toBe(200);
    expect(got.body.statistics).toEqual({
      records: { total: 7, candidate: 1, accepted: 2, rejected: 3, surplus: 1 },
      rejectReasons: { low_score: 2, duplicate_exact: 1 },
      sources: 1,
      chunks: 2,
      seedRecords: 1,
      exports: 1,
      buildProgress: null,
    });

    const accepted = await h.call('GET', `/v1/datasets/${id}/records?status=accepted`, { key: alice.key });
    expect(accepted.body.total).toBe(2);
    expect(accepted.body.items.map((r: { acceptSeq: number }) => r.acceptSeq)).toEqual([1, 2]);
    expect(accepted.body.items[0].content).toEqual({ type: 'qa', question: 'Question 0?', answer: 'Answer 0.' });
    const rejected = await h.call('GET', `/v1/datasets/${id}/records?status=rejected&limit=2`, { key: alice.key });
    expect(rejected.body).toMatchObject({ total: 3, nextOffset: 2 });
    expect(rejected.body.items.every((r: { rejectReason: string }) => r.rejectReason)).toBe(true);
    expect((await h.call('GET', `/v1/datasets/${id}/records?status=lost`, { key: alice.key })).status).toBe(400);

    const patched = await h.call('PATCH', `/v1/datasets/${id}`, { key: alice.key, json: { name: 'Renamed', description: 'new words' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Renamed', description: 'new words' });
    expect((await h.call('PATCH', `/v1/datasets/${id}`, { key: alice.key, json: {} })).status).toBe(400);
    expect((await h.call('PATCH', `/v1/datasets/${id}`, { key: alice.key, json: { type: 'cot' } })).status).toBe(400);
    expect((await h.call('GET', `/v1/datasets/missing-${uid()}`, { key: alice.key })).status).toBe(404);
  });

  it('lists exports and streams a split with its content type and file name', async () => {
    const id = `exp-${uid()}`;
    await h.call('POST', '/v1/datasets', { key: alice.key, json: { id } });
    const { exportId, trainFile } = await seedDatasetContent(h, id);

    const list = await h.call('GET', `/v1/datasets/${id}/exports`, { key: alice.key });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ id: exportId, format: 'openai-chat', recordCount: 3 });
    expect(JSON.stringify(list.body)).not.toContain(h.config.paths.exports_dir);
    const trainUrl = list.body.items[0].files.find((f: { split: string }) => f.split === 'train').downloadUrl;

    const res = await h.app.request(trainUrl, { headers: { 'x-api-key': alice.key } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain('filename="train.jsonl"');
    expect(await res.text()).toBe(readFileSync(trainFile, 'utf8'));

    expect((await h.call('GET', `/v1/exports/${exportId}/download`, { key: alice.key })).body.error.code).toBe('split_required');
    expect((await h.call('GET', `/v1/exports/${exportId}/download?split=validation`, { key: alice.key })).status).toBe(404);
    expect((await h.call('GET', `/v1/exports/${exportId}`, { key: alice.key })).body.files).toHaveLength(2);
  });

  it('deletes a dataset with its rows, vector tables and export files, sparing a dataset whose id merely starts the same', async () => {
    const id = `del-${uid()}`;
    const neighbour = `${id}-2`;
    await h.call('POST', '/v1/datasets', { key: alice.key, json: { id } });
    await h.call('POST', '/v1/datasets', { key: alice.key, json: { id: neighbour } });
    const { trainFile } = await seedDatasetContent(h, id);
    const lance = await lancedb.connect(h.config.paths.lancedb_dir);
    const ownTables = [`chunks__${id}`, `records__${id}`, vectorTableName(id, 'dedup')];
    const neighbourTables = [`chunks__${neighbour}`, vectorTableName(neighbour, 'dedup')];
    for (const name of [...ownTables, ...neighbourTables]) {
      await lance.createTable(name, [{ id: 'a', vector: [0.1, 0.2, 0.3] }]);
    }

    const res = await h.call('DELETE', `/v1/datasets/${id}`, { key: alice.key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deleted: true, datasetId: id, exportFilesRemoved: 2 });
    expect(res.body.vectorTablesDropped.sort()).toEqual([...ownTables].sort());
    const remaining = await lance.tableNames();
    expect(remaining).toEqual(expect.arrayContaining(neighbourTables));
    for (const name of ownTables) expect(remaining).not.toContain(name);
    expect(existsSync(trainFile)).toBe(false);
    for (const table of ['records', 'sources', 'chunks', 'seed_records', 'exports']) {
      const [{ n }] = await h.database.sql`select count(*)::int as n from ${h.database.sql(table)} where dataset_id = ${id}`;
      expect(n, table).toBe(0);
    }
    expect((await h.call('GET', `/v1/datasets/${id}`, { key: alice.key })).status).toBe(404);
    expect((await h.call('GET', `/v1/datasets/${neighbour}`, { key: alice.key })).status).toBe(200);
    expect((await h.call('DELETE', `/v1/datasets/${id}`, { key: alice.key })).status).toBe(404);
  });

  it('refuses to delete a dataset while its build runs (409), and deletes it once the build has stopped', async () => {
    const id = `busy-${uid()}`;
    await h.call('POST', '/v1/datasets', { key: alice.key, json: { id } });
    const started = await h.call('POST', '/v1/tasks/build', { key: alice.key, json: { datasetId: id, target: 5 } });
    expect(started.status).toBe(202);
    try {
      const refused = await h.call('DELETE', `/v1/datasets/${id}`, { key: alice.key });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'DatasetBusy', message: expect.stringContaining(`build-${id}`) });
      expect((await h.call('GET', `/v1/datasets/${id}`, { key: alice.key })).status).toBe(200);
    } finally {
      await terminateQuietly(h.temporal, started.body.taskId);
    }
    expect((await h.call('DELETE', `/v1/datasets/${id}`, { key: alice.key })).status).toBe(200);
  });
});
