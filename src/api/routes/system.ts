// Unauthenticated routes: health, the OpenAPI document and its HTML listing.
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../router';
import type { ResolvedDeps } from '../context';

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['system'],
  summary: 'Liveness and the reachability of PostgreSQL and Temporal (no authentication)',
  security: [],
  responses: {
    200: {
      description: 'Serving',
      content: {
        'application/json': {
          schema: z.object({ status: z.enum(['ok', 'degraded']), database: z.boolean(), temporal: z.boolean() }).openapi('Health'),
        },
      },
    },
  },
});

const CHECK_TIMEOUT_MS = 2_000;
const withTimeout = <T>(p: Promise<T>) =>
  Promise.race([p.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CHECK_TIMEOUT_MS).unref())]).catch(() => false);

export function systemRoutes(deps: ResolvedDeps) {
  const app = createRouter();
  app.openapi(healthRoute, async (c) => {
    const [database, temporal] = await Promise.all([
      withTimeout(deps.database.sql`select 1`),
      withTimeout(deps.temporal.connection.workflowService.getSystemInfo({})),
    ]);
    return c.json({ status: database && temporal ? ('ok' as const) : ('degraded' as const), database, temporal }, 200);
  });
  return app;
}
