// Live controls of a running build over HTTP: progress, pause/resume, PATCH target and concurrency (with the
// workflow's own refusal as a 409), cancel, and dataset deletion refused while the build runs.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, terminateQuietly, waitFor, type ApiHarness, type TestUser } from './harness';
import { ALREADY_ACCEPTED } from './steerable-build-workflow';

let h: ApiHarness;
let alice: TestUser;
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const datasetId = `steer-${Math.random().toString(36).slice(2, 8)}`;
const taskId = `build-${datasetId}`;

beforeAll(async () => {
  h = await startApiHarness();
  alice = await h.createUser('alice');
  connection = await NativeConnection.connect({ address: h.config.temporal.address });
  worker = await Worker.create({
    connection,
    namespace: h.config.temporal.namespace,
    taskQueue: h.config.temporal.task_queue,
    workflowsPath: fileURLToPath(new URL('./steerable-build-workflow.ts', import.meta.url)),
    shutdownGraceTime: '2s',
  });
  running = worker.run();
  expect((await h.call('POST', '/v1/datasets', { key: alice.key, json: { id: datasetId } })).status).toBe(201);
});
afterAll(async () => {
  await terminateQuietly(h.temporal, taskId);
  worker?.shutdown();
  await running;
  await connection?.close();
  await h?.close();
});

const getTask = async () => (await h.call('GET', `/v1/tasks/${taskId}`, { key: alice.key })).body;
const progressOf = (pred: (p: any) => boolean) =>
  waitFor(
    'progress',
    async () => {
      const task = await getTask();
      return task.progress && pred(task.progress) ? task : undefined;
    },
    30_000,
  );

describe('live controls of a running build', () => {
  it("reports the build's live progress from its progress query", async () => {
    const res = await h.call('POST', '/v1/tasks/build', { key: alice.key, json: { datasetId, target: 10, concurrency: 3 } });
    expect(res.status).toBe(202);
    const task = await progressOf((p) => p.target === 10);
    expect(task).toMatchObject({ status: 'running', kind: 'build', progress: { accepted: ALREADY_ACCEPTED, concurrency: 3, rejected: { low_score: 3 } } });
  });

  it('pauses and resumes', async () => {
    expect((await h.call('POST', `/v1/tasks/${taskId}/pause`, { key: alice.key })).status).toBe(202);
    await progressOf((p) => p.status === 'paused');
    expect((await h.call('POST', `/v1/tasks/${taskId}/resume`, { key: alice.key })).status).toBe(202);
    await progressOf((p) => p.status === 'running');
  });

  it("changes target and concurrency with PATCH, and returns the workflow's refusal as a 409", async () => {
    const patched = await h.call('PATCH', `/v1/tasks/${taskId}`, { key: alice.key, json: { target: 25, concurrency: 8 } });
    expect(patched.status).toBe(200);
    expect(patched.body.progress).toMatchObject({ target: 25, concurrency: 8 });

    const below = await h.call('PATCH', `/v1/tasks/${taskId}`, { key: alice.key, json: { target: 1 } });
    expect(below.status).toBe(409);
    expect(below.body.error).toMatchObject({ code: 'update_rejected', message: expect.stringContaining('below the 2 records already accepted') });
    expect((await getTask()).progress.target).toBe(25);

    expect((await h.call('PATCH', `/v1/tasks/${taskId}`, { key: alice.key, json: { concurrency: 0 } })).status).toBe(400);
    expect((await h.call('PATCH', `/v1/tasks/${taskId}`, { key: alice.key, json: { target: 'many' } })).status).toBe(400);
  });

  it('refuses to delete the dataset while the build runs', async () => {
    const res = await h.call('DELETE', `/v1/datasets/${datasetId}`, { key: alice.key });
    expect(res.status).toBe(409);
    expect(res.body.error.hint).toContain(`/v1/tasks/${taskId}/cancel`);
  });

  it('cancels; the task then reads cancelled, refuses controls, and the dataset can be deleted', async () => {
    const res = await h.call('POST', `/v1/tasks/${taskId}/cancel`, { key: alice.key });
    expect(res.status).toBe(202);
    const task = await waitFor('cancellation', async () => {
      const t = await getTask();
      return t.status === 'running' ? undefined : t;
    });
    expect(task.status).toBe('cancelled');
    expect(task.error).toMatchObject({ message: expect.any(String) });
    const pause = await h.call('POST', `/v1/tasks/${taskId}/pause`, { key: alice.key });
    expect(pause.status).toBe(409);
    expect(pause.body.error.code).toBe('task_not_running');
    expect((await h.call('DELETE', `/v1/datasets/${datasetId}`, { key: alice.key })).status).toBe(200);
  });
});
