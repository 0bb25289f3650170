// Users and their API keys. Creating a user needs the admin token; everything else acts on the caller's own
// account, so no route here can reach another user's keys.
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../router';
import { listApiKeys, createApiKey, revokeApiKey } from '../../infra/auth';
import { requireAdminToken } from '../auth-middleware';
import { createUserWithKey } from '../../infra/auth';
import type { ResolvedDeps } from '../context';
import { notFound } from '../errors';
import { apiKeySchema, errorResponses, iso, newApiKeySchema, userSchema } from '../schemas';

const createUserRoute = createRoute({
  method: 'post',
  path: '/users',
  tags: ['users'],
  summary: 'Create a user and its first API key (admin token required)',
  security: [{ AdminToken: [] }],
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .object({ name: z.string().trim().min(1).max(200) })
            .strict()
            .openapi('CreateUser'),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'The user and its API key; the key is shown only in this response',
      content: { 'application/json': { schema: z.object({ user: userSchema, apiKey: newApiKeySchema }) } },
    },
    ...errorResponses(400, 401, 403, 413, 415),
  },
});

const meRoute = createRoute({
  method: 'get',
  path: '/users/me',
  tags: ['users'],
  summary: 'The caller and their API keys (prefixes only)',
  responses: {
    200: { description: 'The caller', content: { 'application/json': { schema: z.object({ user: userSchema, keys: z.array(apiKeySchema) }) } } },
    ...errorResponses(401),
  },
});

const createKeyRoute = createRoute({
  method: 'post',
  path: '/users/me/keys',
  tags: ['users'],
  summary: 'Make another API key for the caller',
  responses: {
    201: { description: 'The new key; shown only in this response', content: { 'application/json': { schema: newApiKeySchema } } },
    ...errorResponses(401),
  },
});

const revokeKeyRoute = createRoute({
  method: 'delete',
  path: '/users/me/keys/{keyId}',
  tags: ['users'],
  summary: "Revoke one of the caller's API keys",
  request: { params: z.object({ keyId: z.string().min(1) }) },
  responses: {
    200: { description: 'Revoked', content: { 'application/json': { schema: z.object({ id: z.string(), revoked: z.literal(true) }) } } },
    ...errorResponses(401, 404),
  },
});

export function userRoutes(deps: ResolvedDeps) {
  const app = createRouter();
  // Before the route's validators: an unauthorised caller learns nothing about the body it sent.
  app.on('POST', '/users', requireAdminToken(deps.config));

  app.openapi(createUserRoute, async (c) => {
    const { name } = c.req.valid('json');
    const { user, apiKey } = await createUserWithKey(deps.database, name);
    c.get('logger').info({ userId: user.id, keyId: apiKey.id }, 'user created');
    return c.json(
      {
        user: { id: user.id, name: user.name, createdAt: iso(user.createdAt)! },
        apiKey: { id: apiKey.id, key: apiKey.key, prefix: apiKey.prefix, createdAt: iso(apiKey.createdAt)! },
      },
      201,
    );
  });

  app.openapi(meRoute, async (c) => {
    const user = c.get('user');
    const [row] = await deps.database.sql<{ created_at: Date }[]>`select created_at from users where id = ${user.id}`;
    const keys = await listApiKeys(deps.database, user.id);
    return c.json(
      {
        user: { id: user.id, name: user.name, createdAt: iso(row.created_at)! },
        keys: keys.map((k) => ({ id: k.id, prefix: k.prefix, createdAt: iso(k.createdAt)!, revokedAt: iso(k.revokedAt) })),
      },
      200,
    );
  });

  app.openapi(createKeyRoute, async (c) => {
    const key = await createApiKey(deps.database, c.get('user').id);
    return c.json({ id: key.id, key: key.key, prefix: key.prefix, createdAt: iso(key.createdAt)! }, 201);
  });

  app.openapi(revokeKeyRoute, async (c) => {
    const { keyId } = c.req.valid('param');
    if (!(await revokeApiKey(deps.database, c.get('user').id, keyId))) {
      throw notFound('API key', keyId, 'List your keys with GET /v1/users/me; a key can be revoked once.');
    }
    return c.json({ id: keyId, revoked: true as const }, 200);
  });

  return app;
}
