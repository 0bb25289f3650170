// What every API integration test needs: the real app on the test PostgreSQL and Temporal server, an admin token,
// users made through POST /v1/users, and a small client for app.request that sends a key and reads JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { inject } from 'vitest';
import { createApp } from '../../../src/api/app';
import type { ApiDeps } from '../../../src/api/context';
import { mergeDeep } from '../../../src/infra/common/deep-merge';
import { loadConfig } from '../../../src/infra/config/load';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import { connectDatabase, type Database } from '../../../src/infra/db/client';

export const ADMIN_TOKEN = 'test-admin-token';

export interface ApiHarness {
  config: DatacreekConfig;
  database: Database;
  temporal: Client;
  app: ReturnType<typeof createApp>;
  /** A folder inside ingest.allowed_roots. */
  allowedRoot: string;
  call(method: string, url: string, opts?: CallOptions): Promise<CallResult>;
  createUser(name: string): Promise<TestUser>;
  close(): Promise<void>;
}

export interface CallOptions {
  key?: string;
  json?: unknown;
  body?: RequestInit['body'];
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  body: any;
  headers: Headers;
}

export interface TestUser {
  id: string;
  key: string;
  keyId: string;
}

/**
 * The same test configuration as tests/support/env.ts testConfig(), built here so that API tests which run no
 * worker do not load the worker and every activity module (tests that need a worker import env.ts themselves).
 */
export function apiTestConfig(overrides: Record<string, any> = {}): DatacreekConfig {
  const dataDir = mkdtempSync(path.join(inject('testDataDir'), 'run-'));
  return loadConfig({
    env: {},
    overrides: mergeDeep(
      {
        temporal: { address: inject('temporalAddress'), task_queue: `test-${path.basename(dataDir)}`, start_dev_server: false },
        database: { url: inject('databaseUrl'), pool_size: 5 },
        paths: { data_dir: dataDir },
        log_level: 'warn',
      },
      overrides,
    ),
  });
}

export async function startApiHarness(overrides: Record<string, any> = {}, extra: Partial<ApiDeps> = {}): Promise<ApiHarness> {
  const allowedRoot = mkdtempSync(path.join(tmpdir(), 'dc-api-root-'));
  const config = apiTestConfig(
    mergeDeep(
      {
        api: { admin_token: ADMIN_TOKEN, max_body_bytes: 64 * 1024, max_upload_bytes: 256 * 1024 },
        ingest: { allowed_roots: [allowedRoot] },
      },
      overrides,
    ),
  );
  const database = connectDatabase(config.database.url, { poolSize: 3 });
  const connection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const app = createApp({ config, database, temporal, logger: pino({ level: 'silent' }), ...extra });

  async function call(method: string, url: string, opts: CallOptions = {}): Promise<CallResult> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers['x-api-key'] = opts.key;
    let body = opts.body;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = typeof opts.json === 'string' ? opts.json : JSON.stringify(opts.json);
    }
    const res = await app.request(url, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (a download): keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  return {
    config,
    database,
    temporal,
    app,
    allowedRoot,
    call,
    async createUser(name) {
      const res = await call('POST', '/v1/users', { json: { name }, headers: { 'x-admin-token': ADMIN_TOKEN } });
      if (res.status !== 201) throw new Error(`creating user ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.user.id, key: res.body.apiKey.key, keyId: res.body.apiKey.id };
    },
    async close() {
      await temporal.connection.close();
      await database.close();
      rmSync(allowedRoot, { recursive: true, force: true });
    },
  };
}

/** Ends a workflow the test started, whatever state it is in (no worker may ever have run it). */
export async function terminateQuietly(temporal: Client, workflowId: string): Promise<void> {
  await temporal.workflow
    .getHandle(workflowId)
    .terminate('test cleanup')
    .catch(() => {});
}

/** The input a workflow was started with, read from its first history event. */
export async function workflowStartInput(temporal: Client, workflowId: string): Promise<any> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload?.data) throw new Error(`no input recorded for ${workflowId}`);
  return JSON.parse(Buffer.from(payload.data).toString('utf8'));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Rows of every kind a dataset owns, written directly (no LLM needed), with real export files on disk. */
export async function seedDatasetContent(h: ApiHarness, datasetId: string): Promise<{ exportId: string; trainFile: string }> {
  const { sql } = h.database;
  const sourceId = `${datasetId}:src1`;
  await sql`insert into sources (id, dataset_id, kind, uri, file_name, format, content_hash, chunk_count, seed_record_count)
            values (${sourceId}, ${datasetId}, 'file', '/docs/a.md', 'a.md', 'markdown', 'h1', 2, 1)`;
  await sql`insert into chunks (id, source_id, dataset_id, index, text, start_offset, end_offset, content_hash)
            values (${sourceId + '#0'}, ${sourceId}, ${datasetId}, 0, 'first chunk', 0, 11, 'c0'),
                   (${sourceId + '#1'}, ${sourceId}, ${datasetId}, 1, 'second chunk', 11, 23, 'c1')`;
  await sql`insert into seed_records (id, source_id, dataset_id, position, content)
            values (${sourceId + '#s0'}, ${sourceId}, ${datasetId}, 0, ${JSON.stringify({ type: 'qa', question: 'q', answer: 'a' })}::jsonb)`;
  const batch = `build-${datasetId}/r1/b0`;
  const records: Array<[string, string | null, number | null]> = [
    ['accepted', null, 1],
    ['accepted', null, 2],
    ['rejected', 'low_score', null],
    ['rejected', 'low_score', null],
    ['rejected', 'duplicate_exact', null],
    ['surplus', null, null],
    ['candidate', null, null],
  ];
  for (const [i, [status, reason, seq]] of records.entries()) {
    const content = { type: 'qa', question: `Question ${i}?`, answer: `Answer ${i}.` };
    await sql`insert into records (id, dataset_id, batch_id, round, position, status, reject_reason, type, content, content_hash, accept_seq)
              values (${`${batch}/${i}`}, ${datasetId}, ${batch}, 1, ${i}, ${status}, ${reason}, 'qa', ${JSON.stringify(content)}::jsonb, ${`hash-${i}`}, ${seq})`;
  }
  const exportId = `exp-${datasetId}`;
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const folder = path.join(h.config.paths.exports_dir, datasetId, exportId);
  mkdirSync(folder, { recursive: true });
  const trainFile = path.join(folder, 'train.jsonl');
  writeFileSync(trainFile, '{"messages":[{"role":"user","content":"Question 0?"}]}\n{"messages":[]}\n');
  writeFileSync(path.join(folder, 'test.jsonl'), '{"messages":[]}\n');
  const files = [
    { split: 'train', path: trainFile, records: 2, bytes: 70 },
    { split: 'test', path: path.join(folder, 'test.jsonl'), records: 1, bytes: 16 },
  ];
  await sql`insert into exports (id, dataset_id, format, files, record_count, bytes)
            values (${exportId}, ${datasetId}, 'openai-chat', ${JSON.stringify(files)}::jsonb, 3, 86)`;
  return { exportId, trainFile };
}
