// The app's edges that are decided before any database or Temporal call: authentication refusals, the admin
// token, body limits, malformed bodies, request ids, unknown routes and the OpenAPI document. The database and
// Temporal client here throw if touched, which proves these answers never reach them.
import type { Client } from '@temporalio/client';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../src/api/app';
import { loadConfig } from '../../../src/infra/config/load';
import type { Database } from '../../../src/infra/db/client';

const untouchable = <T>(what: string) =>
  new Proxy(
    {},
    {
      get: (_t, prop) => {
        throw new Error(`${what}.${String(prop)} must not be used here`);
      },
    },
  ) as T;

function appWith(api: Record<string, unknown> = {}) {
  const config = loadConfig({ env: {}, overrides: { api: { admin_token: 'admin-secret', max_body_bytes: 1024, ...api } } });
  return createApp({
    config,
    database: untouchable<Database>('database'),
    temporal: untouchable<Client>('temporal'),
    logger: pino({ level: 'silent' }),
  });
}

// Bodies are checked field by field below; `any` keeps those assertions readable.
const bodyOf = async (res: Response): Promise<any> => res.json();

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('API edges', () => {
  const app = appWith();

  it('answers 401 with the error shape when no API key is sent', async () => {
    const res = await app.request('/v1/datasets');
    expect(res.status).toBe(401);
    const body = await bodyOf(res);
    expect(body).toMatchObject({ error: { code: 'unauthorized', message: expect.any(String), hint: expect.stringContaining('X-API-Key') } });
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('refuses a malformed Authorization header like a missing key', async () => {
    const res = await app.request('/v1/tasks', { headers: { authorization: 'Basic abc' } });
    expect(res.status).toBe(401);
  });

  it('echoes a valid X-Request-Id and generates one otherwise', async () => {
    const echoed = await app.request('/v1/datasets', { headers: { 'x-request-id': 'trace-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-123');
    expect((await bodyOf(echoed)).requestId).toBe('trace-123');
    const generated = await app.request('/v1/datasets');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('requires the admin token to create users, and refuses all creation when none is configured', async () => {
    expect((await app.request('/v1/users', json({ name: 'a' }))).status).toBe(401);
    expect((await app.request('/v1/users', json({ name: 'a' }, { 'x-admin-token': 'wrong' }))).status).toBe(401);
    const disabled = await appWith({ admin_token: '' }).request('/v1/users', json({ name: 'a' }, { 'x-admin-token': '' }));
    expect(disabled.status).toBe(403);
    expect((await bodyOf(disabled)).error.code).toBe('user_creation_disabled');
  });

  it('answers a malformed JSON body with 400 and unknown fields with the zod issues', async () => {
    const malformed = await app.request('/v1/users', json('{"name": ', { 'x-admin-token': 'admin-secret' }));
    expect(malformed.status).toBe(400);
    expect((await bodyOf(malformed)).error.code).toBe('malformed_body');
    const unknown = await app.request('/v1/users', json({ name: 'a', role: 'root' }, { 'x-admin-token': 'admin-secret' }));
    expect(unknown.status).toBe(400);
    const body = await bodyOf(unknown);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.issues).toEqual([expect.objectContaining({ path: '(root)', message: expect.stringContaining('"role"') })]);
  });

  it('refuses a body over api.max_body_bytes with 413, before reading it', async () => {
    const res = await app.request('/v1/users', json({ name: 'x'.repeat(2000) }, { 'x-admin-token': 'admin-secret' }));
    expect(res.status).toBe(413);
    expect((await bodyOf(res)).error).toMatchObject({ code: 'payload_too_large', hint: expect.stringContaining('api.max_body_bytes') });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await app.request('/v2/nothing');
    expect(res.status).toBe(404);
    expect((await bodyOf(res)).error.code).toBe('route_not_found');
  });

  it('forwards the unversioned aliases to /v1', async () => {
    const res = await app.request('/datasets');
    expect(res.status).toBe(401);
    expect((await bodyOf(res)).error.code).toBe('unauthorized');
  });

  it('documents every route in /openapi.json and lists them on /docs', async () => {
    const doc = await bodyOf(await app.request('/openapi.json'));
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(operations.sort()).toEqual(
      [
        'POST /v1/users',
        'GET /v1/users/me',
        'POST /v1/users/me/keys',
        'DELETE /v1/users/me/keys/{keyId}',
        'POST /v1/datasets',
        'GET /v1/datasets',
        'GET /v1/datasets/{id}',
        'PATCH /v1/datasets/{id}',
        'DELETE /v1/datasets/{id}',
        'GET /v1/datasets/{id}/records',
        'GET /v1/datasets/{id}/exports',
        'GET /v1/exports/{id}',
        'GET /v1/exports/{id}/download',
        'POST /v1/tasks/ingest',
        'POST /v1/tasks/build',
        'POST /v1/tasks/generate',
        'POST /v1/tasks/curate',
        'POST /v1/tasks/save',
        'POST /v1/tasks/pipeline',
        'GET /v1/tasks',
        'GET /v1/tasks/{id}',
        'PATCH /v1/tasks/{id}',
        'POST /v1/tasks/{id}/pause',
        'POST /v1/tasks/{id}/resume',
        'POST /v1/tasks/{id}/cancel',
        'GET /health',
      ].sort(),
    );
    expect(doc.components.securitySchemes).toHaveProperty('ApiKey');
    // Task bodies are the workflows' own schemas: ownerId is never accepted from a request.
    const build = doc.paths['/v1/tasks/build'].post.requestBody.content['application/json'].schema;
    const buildSchema = build.$ref ? doc.components.schemas[build.$ref.split('/').pop()] : build;
    expect(Object.keys(buildSchema.properties)).toEqual(expect.arrayContaining(['datasetId', 'target', 'config', 'configName']));
    expect(buildSchema.properties).not.toHaveProperty('ownerId');

    const html = await (await app.request('/docs')).text();
    expect(html).toContain('<code>/v1/tasks/{id}/pause</code>');
    expect(html).not.toMatch(/<script|cdn/i);
  });
});
