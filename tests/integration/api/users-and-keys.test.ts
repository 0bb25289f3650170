import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../../src/api/server';
import { createUserWithKey } from '../../../src/infra/auth/users';
import { ADMIN_TOKEN, startApiHarness, type ApiHarness } from './harness';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('users and API keys', () => {
  it('creates a user with a dck_ key shown once and stored only as its SHA-256 hash', async () => {
    const res = await h.call('POST', '/v1/users', { json: { name: 'alice' }, headers: { 'x-admin-token': ADMIN_TOKEN } });
    expect(res.status).toBe(201);
    const { user, apiKey } = res.body;
    expect(apiKey.key).toMatch(/^dck_/);
    const [row] = await h.database.sql`select key_hash, prefix from api_keys where id = ${apiKey.id}`;
    expect(row.key_hash).toBe(createHash('sha256').update(apiKey.key).digest('hex'));
    const stored = JSON.stringify(await h.database.sql`select * from api_keys where user_id = ${user.id}`);
    expect(stored).not.toContain(apiKey.key);

    const me = await h.call('GET', '/v1/users/me', { key: apiKey.key });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: user.id, name: 'alice' });
    expect(me.body.keys).toEqual([{ id: apiKey.id, prefix: apiKey.prefix, createdAt: expect.any(String), revokedAt: null }]);
    expect(JSON.stringify(me.body)).not.toContain(apiKey.key);
  });

  it('accepts the key as a Bearer token too', async () => {
    const alice = await h.createUser('alice-bearer');
    const res = await h.call('GET', '/v1/users/me', { headers: { authorization: `Bearer ${alice.key}` } });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(alice.id);
  });

  it('answers 401 JSON for no key, a wrong key and an unknown dck_ key', async () => {
    const attempts: Record<string, string>[] = [{}, { 'x-api-key': 'nonsense' }, { 'x-api-key': `dck_${'A'.repeat(43)}` }];
    for (const headers of attempts) {
      const res = await h.call('GET', '/v1/datasets', { headers });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
      expect(res.body.requestId).toEqual(expect.any(String));
    }
  });

  it('refuses user creation without the admin token or with a wrong one', async () => {
    expect((await h.call('POST', '/v1/users', { json: { name: 'x' } })).status).toBe(401);
    expect((await h.call('POST', '/v1/users', { json: { name: 'x' }, headers: { 'x-admin-token': 'guess' } })).status).toBe(401);
    const alice = await h.createUser('alice-not-admin');
    // An API key is no admin token.
    expect((await h.call('POST', '/v1/users', { json: { name: 'x' }, key: alice.key })).status).toBe(401);
    expect((await h.call('POST', '/v1/users', { json: {}, headers: { 'x-admin-token': ADMIN_TOKEN } })).status).toBe(400);
  });

  it("makes more keys, revokes one (401 from then on), and cannot revoke another user's key", async () => {
    const alice = await h.createUser('alice-keys');
    const bob = await h.createUser('bob-keys');
    const second = await h.call('POST', '/v1/users/me/keys', { key: alice.key });
    expect(second.status).toBe(201);
    expect(second.body.key).toMatch(/^dck_/);
    expect((await h.call('GET', '/v1/users/me', { key: second.body.key })).status).toBe(200);

    expect((await h.call('DELETE', `/v1/users/me/keys/${alice.keyId}`, { key: bob.key })).status).toBe(404);
    expect((await h.call('GET', '/v1/users/me', { key: alice.key })).status).toBe(200);

    const revoked = await h.call('DELETE', `/v1/users/me/keys/${alice.keyId}`, { key: second.body.key });
    expect(revoked).toMatchObject({ status: 200, body: { id: alice.keyId, revoked: true } });
    const refused = await h.call('GET', '/v1/users/me', { key: alice.key });
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toMatch(/revoked/);
    expect((await h.call('DELETE', `/v1/users/me/keys/${alice.keyId}`, { key: second.body.key })).status).toBe(404);
    expect((await h.call('GET', '/v1/users/me', { key: second.body.key })).body.keys).toHaveLength(2);
  });

  it('createUserWithKey (the CLI path) makes a user whose key authenticates', async () => {
    const created = await createUserWithKey(h.database, '  carol  ');
    expect(created.user.name).toBe('carol');
    const me = await h.call('GET', '/v1/users/me', { key: created.apiKey.key });
    expect(me.body.user.id).toBe(created.user.id);
    await expect(createUserWithKey(h.database, '   ')).rejects.toThrow(/non-empty name/);
  });

  it('serves over HTTP: /health without a key, the API with one', async () => {
    const server = await startApiServer(
      { ...h.config, api: { ...h.config.api, port: 0 }, log_level: 'silent' },
      { database: h.database, temporal: h.temporal },
    );
    try {
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', database: true, temporal: true });
      const alice = await h.createUser('alice-http');
      const me = await fetch(`${server.url}/v1/users/me`, { headers: { 'x-api-key': alice.key } });
      expect(me.status).toBe(200);
      expect(me.headers.get('x-request-id')).toBeTruthy();
    } finally {
      await server.close();
    }
    // The injected connections stay open for their owner.
    expect((await h.database.sql`select 1 as ok`)[0].ok).toBe(1);
  });
});
