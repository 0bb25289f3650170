// Authentication at the edge: every /v1 request presents an API key (`X-API-Key: dck_…` or
// `Authorization: Bearer dck_…`); user creation instead presents the admin token from the configuration.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from './errors';
import type { AppEnv } from './context';
import type { DatacreekConfig } from '../infra/config';
import type { Database } from '../infra/db';
import { findUserByApiKey } from '../infra/auth';

const KEY_HINT = 'Send your key as `X-API-Key: dck_…` or `Authorization: Bearer dck_…`; an admin creates users and keys with POST /v1/users.';

export function presentedApiKey(c: Context): string | undefined {
  const header = c.req.header('x-api-key')?.trim();
  if (header) return header;
  const authorization = c.req.header('authorization')?.trim();
  const match = authorization?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

export function requireApiKey(database: Database): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = presentedApiKey(c);
    if (!key) throw new ApiError(401, 'unauthorized', 'No API key in the request', KEY_HINT);
    const user = await findUserByApiKey(database, key);
    // Unknown and revoked keys get the same answer: the response must not tell them apart.
    if (!user) throw new ApiError(401, 'unauthorized', 'Invalid or revoked API key', KEY_HINT);
    c.set('user', user);
    await next();
  };
}

/** Compares digests so the comparison takes the same time whatever the length or content of the guess. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function requireAdminToken(config: DatacreekConfig): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = config.api.admin_token;
    if (!expected) {
      throw new ApiError(
        403,
        'user_creation_disabled',
        'Creating users over HTTP is disabled on this server',
        'Set api.admin_token (DATACREEK_API_ADMIN_TOKEN) on the server, or run `datacreek users create NAME` on the server machine.',
      );
    }
    const presented = c.req.header('x-admin-token');
    if (!presented || !sameSecret(presented, expected)) {
      throw new ApiError(401, 'unauthorized', 'Missing or wrong admin token', "Send the server's api.admin_token in the X-Admin-Token header.");
    }
    await next();
  };
}
