// Security under real conditions: the API served over a socket, a real build running through the worker process,
// and an LLM gateway that quotes the API key back in its error messages. Checks what tests/integration/api does not:
// a second user cannot see or steer a build that is really running (and it still completes exactly), body limits
// hold when the size is not announced, API keys exist only as hashes, and no secret (LLM key, database password,
// API keys) reaches a log line, a workflow history, an API answer or a database row.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildProgress } from '../../src/workflows/build-input';
import { postForm, settledTask, startChaosApi, ADMIN_TOKEN, type ApiCall, type ChaosApi } from './api-server';
import { auditFinishedBuild, factsDocument } from '../../testkit/chaos/build-run';
import { startChaosStack, type ChaosStack } from '../../testkit/chaos/harness';
import { startLeakyGateway, type LeakyGateway } from './leaky-gateway';
import { recordChaosFigures } from '../../testkit/chaos/report';
import { findSecrets, scanDatabase, scanWorkflowHistories, type SecretHit } from './secrets';

const TARGET = 40;
const BATCH_SIZE = 2;

let stack: ChaosStack;
let api: ChaosApi;
let gateway: LeakyGateway;
let alice: { id: string; key: string };
let bob: { id: string; key: string };
/** Every answer the API gave in this file: error messages must not carry secrets either. */
const answers: string[] = [];
const started = Date.now();
const datasetId = 'secret-plans';

async function call(...args: Parameters<ChaosApi['call']>): Promise<ApiCall> {
  const res = await api.call(...args);
  answers.push(res.text);
  return res;
}

beforeAll(async () => {
  stack = await startChaosStack({
    name: 'security',
    llm: { latencyMs: 30 },
    // The first chat requests, then every 25th, get a 500 quoting the key; with no client retries each one becomes
    // an LLM request error that fails its activity (which Temporal retries), so the error path really runs.
    frontLlm: async (url) => (gateway = await startLeakyGateway(url, { failFirst: 6, failEvery: 25 })),
    workerEnv: { DATACREEK_LLM_RETRIES: '0', DATACREEK_LOG_LEVEL: 'debug' },
  });
  api = await startChaosApi(stack);
  alice = await api.createUser('alice');
  bob = await api.createUser('bob');
});

afterAll(async () => {
  await api?.close();
  await stack?.close();
});

describe('security', () => {
  it('answers 401 to no key and to wrong keys, and never repeats a key it was sent', async () => {
    const wrong = 'dck_this-key-was-never-issued-0123456789abcdef';
    const attempts: Record<string, string>[] = [{}, { 'x-api-key': wrong }, { authorization: `Bearer ${wrong}` }, { 'x-api-key': alice.key.slice(0, -2) }];
    for (const headers of attempts) {
      const res = await call('GET', '/v1/datasets', { headers });
      expect(res.status).toBe(401);
      expect(res.text).not.toContain(wrong);
      expect(res.text).not.toContain(alice.key.slice(0, -2));
    }
    const wrongAdmin = await call('POST', '/v1/users', { json: { name: 'mallory' }, headers: { 'x-admin-token': 'guess-1234' } });
    expect([401, 403]).toContain(wrongAdmin.status);
    expect(wrongAdmin.text).not.toContain('guess-1234');
  });

  it('a second user can neither see nor steer a build that is really running, and it completes exactly', async () => {
    expect((await call('POST', '/v1/datasets', { key: alice.key, json: { id: datasetId } })).status).toBe(201);
    writeFileSync(path.join(api.allowedRoot, 'plans.md'), factsDocument());
    const ingest = await call('POST', '/v1/tasks/ingest', {
      key: alice.key,
      json: { datasetId, items: [{ path: 'plans.md' }], chunking: { chunk_size: 600, overlap: 50, whole_document_below: 500 } },
    });
    expect(ingest.status, ingest.text).toBe(202);
    expect((await settledTask(api, alice.key, ingest.body.taskId)).status).toBe('completed');

    const build = await call('POST', '/v1/tasks/build', {
      key: alice.key,
      json: { datasetId, target: TARGET, batchSize: BATCH_SIZE, itemsPerChunk: 3, concurrency: 3, scoring: { mode: 'judge' } },
    });
    expect(build.status, build.text).toBe(202);
    const taskId: string = build.body.taskId;

    // Bob, while the build runs: every attempt answers exactly like a resource that does not exist.
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/v1/datasets/${datasetId}`],
      ['GET', `/v1/datasets/${datasetId}/records?status=accepted`],
      ['PATCH', `/v1/datasets/${datasetId}`, { name: 'mine now' }],
      ['GET', `/v1/tasks/${taskId}`],
      ['PATCH', `/v1/tasks/${taskId}`, { target: 1 }],
      ['POST', `/v1/tasks/${taskId}/pause`],
      ['POST', `/v1/tasks/${taskId}/resume`],
      ['POST', `/v1/tasks/${taskId}/cancel`],
      ['POST', '/v1/tasks/save', { datasetId }],
      ['DELETE', `/v1/datasets/${datasetId}`],
    ];
    for (const [method, route, json] of attempts) {
      const res = await call(method, route, { key: bob.key, json });
      expect(res.status, `${method} ${route}: ${res.text}`).toBe(404);
      expect(res.text).not.toContain(alice.id);
    }
    expect((await call('GET', '/v1/datasets', { key: bob.key })).body.total).toBe(0);
    expect((await call('GET', '/v1/tasks', { key: bob.key })).body.total).toBe(0);

    const task = await settledTask(api, alice.key, taskId, 300_000);
    expect(task.status).toBe('completed');
    const progress = task.result as BuildProgress;
    const audit = await auditFinishedBuild(stack.db, datasetId, progress, BATCH_SIZE);
    expect(audit.violations).toEqual([]);
    expect(audit.accepted).toBe(TARGET);
    // The gateway did quote the key back, so the error path below was exercised.
    expect(gateway.echoed()).toBeGreaterThan(0);
  });

  it('body and upload limits hold over a socket, also when the client does not announce the size', async () => {
    const json = await sendChunked(
      `${api.url}/v1/datasets`,
      alice.key,
      'application/json',
      Buffer.from(JSON.stringify({ id: 'big', name: 'x'.repeat(100 * 1024) })),
    );
    answers.push(json.text);
    expect(json.status).toBe(413);
    expect(json.body.error.code).toBe('payload_too_large');
    const form = new FormData();
    form.append('datasetId', 'big-upload');
    form.append('file', new Blob([Buffer.alloc(300 * 1024, 'b')]), 'big.txt');
    const upload = await postForm(`${api.url}/v1/tasks/ingest`, form, { key: alice.key, chunked: true });
    answers.push(upload.text);
    expect(upload.status).toBe(413);
    expect(upload.body.error.code).toBe('payload_too_large');
    expect((await call('GET', '/v1/datasets/big', { key: alice.key })).status).toBe(404);
  });

  it('stores API keys only as SHA-256 hashes', async () => {
    const rows = await stack.db.sql<{ user_id: string; key_hash: string }[]>`select user_id, key_hash from api_keys`;
    for (const user of [alice, bob]) {
      expect(rows.find((r) => r.user_id === user.id)?.key_hash).toBe(createHash('sha256').update(user.key).digest('hex'));
    }
    const scan = await scanDatabase(stack.db.sql, { aliceKey: alice.key, bobKey: bob.key });
    expect(scan.hits).toEqual([]);
  });

  it('no secret in worker logs, workflow histories, API logs, API answers or database rows', async () => {
    const secrets = { ...stack.secrets, aliceApiKey: alice.key, bobApiKey: bob.key, adminToken: ADMIN_TOKEN };
    const histories = await scanWorkflowHistories(stack.client, secrets);
    const database = await scanDatabase(stack.db.sql, stack.secrets);
    const hits: SecretHit[] = [
      ...histories.hits,
      ...findSecrets(stack.worker.log, secrets, 'worker log'),
      ...findSecrets(api.logs(), secrets, 'API log'),
      ...answers.flatMap((text, i) => findSecrets(text, secrets, `API answer #${i + 1}`)),
      ...database.hits,
    ];
    // The gateway's errors did reach the places scanned: failed activities in the histories and the worker log.
    const errorsSeen =
      (histories.text.match(/Upstream provider rejected/g) ?? []).length + (stack.worker.log.match(/Upstream provider rejected/g) ?? []).length;
    recordChaosFigures({
      test: 'security',
      scenario: 'secrets hunted in logs, histories, API answers and the database while an LLM gateway quotes the key back',
      durationMs: Date.now() - started,
      secretLeaksProvoked: gateway.echoed(),
      historiesScanned: histories.histories,
      logBytesScanned: stack.worker.log.length + api.logs().length,
      secretsFound: hits.length,
      recordsLost: 0,
      duplicates: 0,
      events: [
        `${gateway.echoed()} LLM answers quoted the key back; ${errorsSeen} of those errors were found (redacted) in histories and logs`,
        `${histories.histories} histories (${histories.events} events), ${answers.length} API answers, ${database.columns} text columns scanned`,
        ...hits.map((h) => `LEAK: ${h.secret} in ${h.where}`),
      ],
    });
    expect(errorsSeen).toBeGreaterThan(0);
    expect(hits).toEqual([]);
  });
});

/** POSTs a body with Transfer-Encoding: chunked (no Content-Length): the server must count as the bytes arrive. */
function sendChunked(url: string, key: string, contentType: string, body: Buffer): Promise<ApiCall> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: 'POST', headers: { 'content-type': contentType, 'x-api-key': key, 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), text }));
    });
    req.on('error', (err) => {
      if (!answered) setTimeout(() => (answered ? undefined : reject(err)), 200);
    });
    for (let i = 0; i < body.length; i += 8 * 1024) req.write(body.subarray(i, i + 8 * 1024));
    req.end();
  });
}
