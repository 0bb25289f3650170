// Two users on one server: nothing of one is visible to, or changeable by, the other. Every answer about another
// user's resource is the same 404 as for a resource that does not exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDatasetContent, startApiHarness, terminateQuietly, type ApiHarness, type TestUser } from './harness';

let h: ApiHarness;
let alice: TestUser;
let bob: TestUser;
const datasetId = `private-${Math.random().toString(36).slice(2, 8)}`;
let exportId: string;
let taskId: string;

beforeAll(async () => {
  h = await startApiHarness();
  alice = await h.createUser('alice');
  bob = await h.createUser('bob');
  expect((await h.call('POST', '/v1/datasets', { key: alice.key, json: { id: datasetId } })).status).toBe(201);
  ({ exportId } = await seedDatasetContent(h, datasetId));
  const started = await h.call('POST', '/v1/tasks/build', { key: alice.key, json: { datasetId, target: 3 } });
  expect(started.status).toBe(202);
  taskId = started.body.taskId;
});
afterAll(async () => {
  if (taskId) await terminateQuietly(h.temporal, taskId);
  await h?.close();
});

describe('isolation between users', () => {
  it("lists none of the other user's datasets or tasks", async () => {
    expect((await h.call('GET', '/v1/datasets', { key: bob.key })).body).toMatchObject({ items: [], total: 0 });
    expect((await h.call('GET', '/v1/tasks', { key: bob.key })).body).toMatchObject({ items: [], total: 0 });
    expect((await h.call('GET', `/v1/tasks?datasetId=${datasetId}`, { key: bob.key })).body.total).toBe(0);
    // …while the owner sees them
    expect((await h.call('GET', '/v1/datasets', { key: alice.key })).body.total).toBe(1);
    expect((await h.call('GET', '/v1/tasks', { key: alice.key })).body.items.map((t: { taskId: string }) => t.taskId)).toEqual([taskId]);
  });

  it.each([
    ['GET', () => `/v1/datasets/${datasetId}`, undefined],
    ['PATCH', () => `/v1/datasets/${datasetId}`, { name: 'mine now' }],
    ['DELETE', () => `/v1/datasets/${datasetId}`, undefined],
    ['GET', () => `/v1/datasets/${datasetId}/records`, undefined],
    ['GET', () => `/v1/datasets/${datasetId}/records?status=accepted`, undefined],
    ['GET', () => `/v1/datasets/${datasetId}/exports`, undefined],
    ['GET', () => `/v1/exports/${exportId}`, undefined],
    ['GET', () => `/v1/exports/${exportId}/download?split=train`, undefined],
    ['GET', () => `/v1/tasks/${taskId}`, undefined],
    ['PATCH', () => `/v1/tasks/${taskId}`, { target: 10 }],
    ['POST', () => `/v1/tasks/${taskId}/pause`, undefined],
    ['POST', () => `/v1/tasks/${taskId}/resume`, undefined],
    ['POST', () => `/v1/tasks/${taskId}/cancel`, undefined],
    ['POST', () => '/v1/tasks/build', { datasetId, target: 1 }],
    ['POST', () => '/v1/tasks/generate', { datasetId, target: 1 }],
    ['POST', () => '/v1/tasks/curate', { datasetId }],
    ['POST', () => '/v1/tasks/save', { datasetId }],
    ['POST', () => '/v1/tasks/ingest', { datasetId, items: [{ url: 'https://example.com/a' }] }],
    ['DELETE', () => `/v1/users/me/keys/${alice.keyId}`, undefined],
  ])('%s %s of the other user answers 404', async (method, url, json) => {
    const res = await h.call(method, url(), { key: bob.key, json });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    // The same answer as for something that does not exist: nothing in it says the resource exists.
    expect(JSON.stringify(res.body)).not.toMatch(new RegExp(`${alice.id}|another user|forbidden|belongs`, 'i'));
  });

  it('left everything of the owner unchanged', async () => {
    const dataset = await h.call('GET', `/v1/datasets/${datasetId}`, { key: alice.key });
    expect(dataset.status).toBe(200);
    expect(dataset.body.name).toBe(datasetId);
    expect(dataset.body.statistics.records.total).toBe(7);
    const task = await h.call('GET', `/v1/tasks/${taskId}`, { key: alice.key });
    expect(task.body.status).toBe('running');
    expect((await h.call('GET', '/v1/users/me', { key: alice.key })).status).toBe(200);
    const [{ n }] = await h.database.sql`select count(*)::int as n from tasks where owner_id = ${bob.id}`;
    expect(n).toBe(0);
  });
});
