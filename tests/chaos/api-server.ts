// The HTTP API served for real (node:http via startApiServer) on the chaos stack, with its log lines captured so a
// test can look for leaked secrets in them. Requests go over the socket, so body limits meet real streaming.
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startApiServer, type RunningApiServer } from '../../src/api/server';
import { createApiLogger } from '../../src/api/logger';
import { mergeDeep } from '../../src/infra/common/deep-merge';
import { loadConfig } from '../../src/infra/config/load';
import type { DatacreekConfig } from '../../src/infra/config/schema';
import type { ChaosStack } from '../../testkit/chaos/harness';

export const ADMIN_TOKEN = 'chaos-admin-token';

export interface ApiCall {
  status: number;
  body: any;
  text: string;
}

export interface ChaosApi {
  url: string;
  config: DatacreekConfig;
  /** A folder inside ingest.allowed_roots. */
  allowedRoot: string;
  /** Every log line the API wrote. */
  logs(): string;
  call(method: string, route: string, opts?: { key?: string; json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> }): Promise<ApiCall>;
  createUser(name: string): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

export async function startChaosApi(stack: ChaosStack, overrides: Record<string, unknown> = {}): Promise<ChaosApi> {
  const allowedRoot = path.join(stack.dir, 'allowed');
  mkdirSync(allowedRoot, { recursive: true });
  const config = loadConfig({
    env: {},
    overrides: mergeDeep(
      {
        temporal: { address: stack.temporalAddress, task_queue: stack.taskQueue, start_dev_server: false },
        database: { url: stack.databaseUrl, pool_size: 3 },
        // Uploads land where the worker (same machine) reads them.
        paths: { data_dir: stack.workerConfig.paths.data_dir },
        api: { host: '127.0.0.1', port: 0, admin_token: ADMIN_TOKEN, max_body_bytes: 64 * 1024, max_upload_bytes: 256 * 1024 },
        ingest: { allowed_roots: [allowedRoot] },
        llm: { api_key: stack.secrets.llmApiKey },
        log_level: 'debug',
      },
      overrides,
    ),
  });
  let logText = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logText += chunk.toString();
      done();
    },
  });
  const server: RunningApiServer = await startApiServer(config, { logger: createApiLogger(config, sink) });

  async function call(
    method: string,
    route: string,
    opts: { key?: string; json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> } = {},
  ): Promise<ApiCall> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers['x-api-key'] = opts.key;
    let body = opts.body;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    const res = await fetch(`${server.url}${route}`, { method, headers, body, duplex: 'half' } as RequestInit);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, text };
  }

  return {
    url: server.url,
    config,
    allowedRoot,
    logs: () => logText,
    call,
    async createUser(name) {
      const res = await call('POST', '/v1/users', { json: { name }, headers: { 'x-admin-token': ADMIN_TOKEN } });
      if (res.status !== 201) throw new Error(`creating user ${name}: ${res.status} ${res.text}`);
      return { id: res.body.user.id, key: res.body.apiKey.key };
    },
    close: () => server.close(),
  };
}

/**
 * Sends a multipart form with node:http the way curl does: the answer is read even when the server answers before
 * the body is sent and closes the connection (fetch reports such an early 413 as a socket error). `chunked` leaves
 * out Content-Length, so the server has to count the bytes as they stream in.
 */
export async function postForm(url: string, form: FormData, opts: { key: string; chunked?: boolean }): Promise<ApiCall> {
  const encoded = new Response(form);
  const body = Buffer.from(await encoded.arrayBuffer());
  const headers: Record<string, string> = { 'content-type': encoded.headers.get('content-type')!, 'x-api-key': opts.key };
  if (!opts.chunked) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: 'POST', headers }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    // A write cut short by the server's early answer is expected; only a failure without any answer is an error.
    req.on('error', (err) => {
      if (!answered) setTimeout(() => (answered ? undefined : reject(err)), 200);
    });
    for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.subarray(i, i + 16 * 1024));
    req.end();
  });
}

/** Polls GET /v1/tasks/:id until the task is no longer running. */
export async function settledTask(api: ChaosApi, key: string, taskId: string, timeoutMs = 180_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.call('GET', `/v1/tasks/${encodeURIComponent(taskId)}`, { key });
    if (res.status !== 200) throw new Error(`GET /v1/tasks/${taskId}: ${res.status} ${res.text}`);
    if (res.body.status !== 'running') return res.body;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
