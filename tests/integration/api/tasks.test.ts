// Starting tasks over HTTP. Ingest runs for real on a worker (a Markdown file needs no LLM); build, generate,
// curate and save are checked up to the started workflow (its input, its row, its status) on a task queue no
// worker polls, and terminated at the end.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openObjectStore, readObject } from '../../../src/infra/storage';
import { startApiHarness, terminateQuietly, waitFor, workflowStartInput, type ApiHarness, type TestUser } from './harness';

const uid = () => Math.random().toString(36).slice(2, 8);
const MARKDOWN =
  '# Tides\n\nTides are the rise and fall of sea levels caused by the Moon and the Sun.\n\n## Spring tides\n\nThey happen at new and full moon.\n';

describe('tasks started for real on a worker (ingest)', () => {
  let h: ApiHarness;
  let alice: TestUser;
  let worker: { shutdown(): Promise<void> } | undefined;

  beforeAll(async () => {
    h = await startApiHarness();
    alice = await h.createUser('alice');
    writeFileSync(path.join(h.allowedRoot, 'tides.md'), MARKDOWN);
    // Imported here, not at the top: only this block needs the worker and every activity module.
    const { testWorker } = await import('../../support/env');
    worker = await testWorker(h.config);
  });
  afterAll(async () => {
    await worker?.shutdown();
    await h?.close();
  });

  async function finished(taskId: string) {
    return waitFor(`task ${taskId}`, async () => {
      const res = await h.call('GET', `/v1/tasks/${taskId}`, { key: alice.key });
      return res.body.status === 'running' ? undefined : res.body;
    });
  }

  it('ingests a server path inside the allowed roots, and the task reports its result', async () => {
    const datasetId = `tides-${uid()}`;
    const res = await h.call('POST', '/v1/tasks/ingest', { key: alice.key, json: { datasetId, items: [{ path: 'tides.md' }] } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'ingest', datasetId, status: 'running', temporalUiUrl: expect.stringContaining(res.body.taskId) });
    const input = await workflowStartInput(h.temporal, res.body.taskId);
    expect(input).toMatchObject({ datasetId, ownerId: alice.id, items: [{ path: path.join(h.allowedRoot, 'tides.md') }] });
    const [row] = await h.database.sql`select owner_id, kind, workflow_type, dataset_id from tasks where id = ${res.body.taskId}`;
    expect(row).toEqual({ owner_id: alice.id, kind: 'ingest', workflow_type: 'ingestWorkflow', dataset_id: datasetId });

    const task = await finished(res.body.taskId);
    expect(task.status).toBe('completed');
    expect(task.result.totals).toMatchObject({ ingested: 1, failed: 0 });
    expect(task.progress).toBeUndefined();
    const dataset = await h.call('GET', `/v1/datasets/${datasetId}`, { key: alice.key });
    expect(dataset.status).toBe(200);
    expect(dataset.body.statistics).toMatchObject({ sources: 1, chunks: expect.any(Number) });
    expect(dataset.body.statistics.chunks).toBeGreaterThan(0);
  });

  it('ingests an uploaded file put in the object store at uploads/<user>/<uuid>/<name>', async () => {
    const datasetId = `upload-${uid()}`;
    const form = new FormData();
    form.set('datasetId', datasetId);
    form.append('file', new File([MARKDOWN], '../../sneaky/notes.md', { type: 'text/markdown' }));
    form.set('config', JSON.stringify({ chunking: { chunk_size: 500 } }));
    const res = await h.call('POST', '/v1/tasks/ingest', { key: alice.key, body: form });
    expect(res.status).toBe(202);
    const input = await workflowStartInput(h.temporal, res.body.taskId);
    const saved = input.items[0].upload as string;
    expect(saved).toMatch(new RegExp(`^uploads/${alice.id}/[0-9a-f-]{36}/notes\\.md$`));
    expect(input.chunking).toEqual({ chunk_size: 500 });
    expect((await readObject(openObjectStore(h.config.storage), saved)).toString()).toBe(MARKDOWN);
    const [row] = await h.database.sql`select owner_id from tasks where id = ${res.body.taskId}`;
    expect(row.owner_id).toBe(alice.id);
  });

  it('refuses an upload over api.max_upload_bytes with 413 and keeps nothing of it', async () => {
    const store = openObjectStore(h.config.storage);
    const countUploads = async () => (await store.list(`uploads/${alice.id}/`)).length;
    const before = await countUploads();
    const form = new FormData();
    form.set('datasetId', `big-${uid()}`);
    form.append('file', new File(['x'.repeat(h.config.api.max_upload_bytes + 1)], 'big.txt'));
    const res = await h.call('POST', '/v1/tasks/ingest', { key: alice.key, body: form });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', hint: expect.stringContaining('api.max_upload_bytes') });
    expect(await countUploads()).toBe(before);
  });

  it("ingests an earlier upload named by key, but never another user's", async () => {
    const mallory = await h.createUser(`mallory-${uid()}`);
    const form = new FormData();
    form.set('datasetId', `upload-${uid()}`);
    form.append('file', new File([MARKDOWN], 'private.md'));
    const uploaded = await h.call('POST', '/v1/tasks/ingest', { key: alice.key, body: form });
    const key = (await workflowStartInput(h.temporal, uploaded.body.taskId)).items[0].upload as string;
    const theirs = await h.call('POST', '/v1/tasks/ingest', { key: mallory.key, json: { datasetId: `steal-${uid()}`, items: [{ upload: key }] } });
    expect(theirs.status).toBe(403);
    expect(theirs.body.error).toMatchObject({ code: 'forbidden_upload', message: expect.stringContaining(key) });
    const own = await h.call('POST', '/v1/tasks/ingest', { key: alice.key, json: { datasetId: `again-${uid()}`, items: [{ upload: key }] } });
    expect(own.status).toBe(202);
  });
});

describe('tasks checked up to the started workflow', () => {
  let h: ApiHarness;
  let alice: TestUser;
  const started: string[] = [];
  const datasetId = `tasks-${uid()}`;

  beforeAll(async () => {
    h = await startApiHarness();
    alice = await h.createUser('alice');
    expect((await h.call('POST', '/v1/datasets', { key: alice.key, json: { id: datasetId, type: 'cot' } })).status).toBe(201);
  });
  afterAll(async () => {
    for (const id of started) await terminateQuietly(h.temporal, id);
    await h?.close();
  });

  async function start(kind: string, json: unknown) {
    const res = await h.call('POST', `/v1/tasks/${kind}`, { key: alice.key, json });
    if (res.status === 202) started.push(res.body.taskId);
    return res;
  }

  it('starts a build (202), records the task, and passes only the applicable overrides', async () => {
    const res = await start('build', {
      datasetId,
      target: 20,
      batchSize: 3,
      config: { generation: { batch_size: 7, max_rounds: 4 }, curate: { threshold: 8 } },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      taskId: `build-${datasetId}`,
      kind: 'build',
      datasetId,
      status: 'running',
      temporalUiUrl: expect.stringMatching(/\/namespaces\/default\/workflows\/build-/),
    });
    const description = await h.temporal.workflow.getHandle(res.body.taskId).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.type).toBe('buildDataset');
    expect(description.taskQueue).toBe(h.config.temporal.task_queue);
    // The body's explicit batchSize wins over the override; the dataset's type is the default.
    expect(await workflowStartInput(h.temporal, res.body.taskId)).toEqual({
      datasetId,
      ownerId: alice.id,
      target: 20,
      type: 'cot',
      batchSize: 3,
      maxRounds: 4,
      scoring: { threshold: 8 },
    });
    const [row] = await h.database.sql`select kind, workflow_type from tasks where id = ${res.body.taskId} and owner_id = ${alice.id}`;
    expect(row).toEqual({ kind: 'build', workflow_type: 'buildDataset' });

    const again = await start('build', { datasetId, target: 5 });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('task_already_running');
    const generateToo = await start('generate', { datasetId, target: 5 });
    expect(generateToo.status).toBe(409);
  });

  it('starts curate and save with their own workflow ids and inputs', async () => {
    const curate = await start('curate', { datasetId, threshold: 7.5, config: { curate: { scoring: 'judge' } } });
    expect(curate.status).toBe(202);
    expect(curate.body.taskId).toMatch(new RegExp(`^curate-${datasetId}-`));
    expect(await workflowStartInput(h.temporal, curate.body.taskId)).toMatchObject({ datasetId, ownerId: alice.id, threshold: 7.5, scoring: 'judge' });

    const save = await start('save', { datasetId, format: 'alpaca', config: { export: { seed: 7 } } });
    expect(save.status).toBe(202);
    expect(save.body.kind).toBe('save');
    expect((await h.temporal.workflow.getHandle(save.body.taskId).describe()).type).toBe('exportDataset');
    expect(await workflowStartInput(h.temporal, save.body.taskId)).toMatchObject({ format: 'alpaca', seed: 7, ownerId: alice.id });
  });

  it('starts generate as a build without scoring', async () => {
    const other = `gen-${uid()}`;
    await h.call('POST', '/v1/datasets', { key: alice.key, json: { id: other } });
    const res = await start('generate', { datasetId: other, target: 4 });
    expect(res.status).toBe(202);
    expect(res.body.kind).toBe('generate');
    expect(await workflowStartInput(h.temporal, res.body.taskId)).toMatchObject({ target: 4, scoring: { mode: 'none' }, type: 'qa' });
    expect((await start('generate', { datasetId: other, target: 4, scoring: { mode: 'judge' } })).status).toBe(400);
  });

  it.each([
    ['target 0', 'build', { target: 0 }, 'invalid_request', 'target'],
    ['an unknown field', 'build', { target: 5, colour: 'red' }, 'invalid_request', '(root)'],
    ['ownerId from the request', 'build', { target: 5, ownerId: 'someone' }, 'invalid_request', '(root)'],
    ['an override of database', 'build', { target: 5, config: { database: { url: 'postgres://x' } } }, 'override_forbidden', undefined],
    [
      'an override of ingest.allowed_roots',
      'ingest',
      { items: [{ url: 'https://example.com' }], config: { ingest: { allowed_roots: ['/'] } } },
      'override_forbidden',
      undefined,
    ],
    ['an override with an invalid value', 'build', { target: 5, config: { generation: { batch_size: 0 } } }, 'invalid_config', undefined],
    ['an override the task cannot apply', 'save', { config: { llm: { api_key: 'sk-x' } } }, 'override_not_applicable', undefined],
    ['a config name with a path', 'curate', { configName: '../../etc/passwd' }, 'invalid_config_name', undefined],
    ['an unknown export format', 'save', { format: 'docx' }, 'invalid_request', 'format'],
    ['a path outside the allowed roots', 'ingest', { items: [{ path: '../../etc/passwd' }] }, 'path_not_allowed', undefined],
    ['an absolute path outside the allowed roots', 'ingest', { items: [{ path: '/etc/passwd' }] }, 'path_not_allowed', undefined],
    ['no items', 'ingest', { items: [] }, 'invalid_request', 'items'],
  ])('answers 400 to %s', async (_what, kind, body, code, issuePath) => {
    const before = (await h.database.sql`select count(*)::int as n from tasks`)[0].n;
    const res = await start(kind, { datasetId, ...body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.hint).toEqual(expect.any(String));
    if (issuePath) expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(issuePath);
    expect((await h.database.sql`select count(*)::int as n from tasks`)[0].n).toBe(before);
  });

  it('answers 404 for a dataset that does not exist, 415 for a body that is neither JSON nor an upload', async () => {
    expect((await start('build', { datasetId: `nope-${uid()}`, target: 5 })).status).toBe(404);
    const text = await h.call('POST', '/v1/tasks/ingest', { key: alice.key, body: 'path=/etc/passwd', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });

  it('passes URLs through to the workflow (its worker applies the SSRF guard)', async () => {
    const res = await start('ingest', { datasetId, items: [{ url: 'https://example.com/guide.html' }] });
    expect(res.status).toBe(202);
    expect((await workflowStartInput(h.temporal, res.body.taskId)).items).toEqual([{ url: 'https://example.com/guide.html' }]);
  });

  it('lists tasks in pages with their status, and reports a terminated task with its error', async () => {
    const all = await h.call('GET', '/v1/tasks?limit=2', { key: alice.key });
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(2);
    expect(all.body.total).toBe(started.length);
    expect(all.body.items[0]).toMatchObject({ status: 'running', taskId: expect.any(String) });
    const saves = await h.call('GET', '/v1/tasks?kind=save', { key: alice.key });
    expect(saves.body.items.map((t: { kind: string }) => t.kind)).toEqual(['save']);

    const saveId = saves.body.items[0].taskId;
    await h.temporal.workflow.getHandle(saveId).terminate('stopped by the test');
    const task = await h.call('GET', `/v1/tasks/${saveId}`, { key: alice.key });
    expect(task.body).toMatchObject({ status: 'terminated', closedAt: expect.any(String), error: { message: expect.stringContaining('stopped by the test') } });
    expect((await h.call('POST', `/v1/tasks/${saveId}/cancel`, { key: alice.key })).body.error.code).toBe('task_not_running');
  });

  it('refuses live build controls on other kinds (409) and a target of 0 (400)', async () => {
    const ingest = started.find((id) => id.startsWith('ingest-'))!;
    const patched = await h.call('PATCH', `/v1/tasks/${ingest}`, { key: alice.key, json: { target: 10 } });
    expect(patched.status).toBe(409);
    expect(patched.body.error.code).toBe('not_supported');
    expect((await h.call('POST', `/v1/tasks/${ingest}/pause`, { key: alice.key })).status).toBe(409);
    const zero = await h.call('PATCH', `/v1/tasks/build-${datasetId}`, { key: alice.key, json: { target: 0 } });
    expect(zero.status).toBe(400);
    expect(zero.body.error.issues[0].path).toBe('target');
    expect((await h.call('PATCH', `/v1/tasks/build-${datasetId}`, { key: alice.key, json: {} })).status).toBe(400);
  });
});
