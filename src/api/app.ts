// The datacreek HTTP API: one Hono app, one router per resource mounted under /v1, validation from the same zod
// schemas that generate /openapi.json, authentication by API key, and every error mapped in one onError.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, Handler, Next } from 'hono';
import { requestId } from 'hono/request-id';
import { requireApiKey } from './auth-middleware';
import { requestSizeLimit } from './body-limit';
import { openObjectStore, type ObjectStore } from '../infra/storage';
import type { ApiDeps, AppEnv, ResolvedDeps, VectorTables } from './context';
import { ApiError, errorBody, toApiError, validationHook } from './errors';
import { renderDocsPage } from './docs-page';
import { createApiLogger, requestLogger } from './logger';
import { datasetRoutes } from './routes/datasets';
import { exportRoutes } from './routes/exports';
import { systemRoutes } from './routes/system';
import { taskRoutes } from './routes/tasks';
import { userRoutes } from './routes/users';

export const API_VERSION = '1.0.0';
/** Resources also answered without the /v1 prefix, as clients of the original Datacreek REST API call them (`/tasks/ingest`, …). */
const UNVERSIONED_ALIASES = ['/tasks', '/datasets', '/users', '/exports'];

export function createApp(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const resolved = resolveDeps(deps);
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  // Registered first so an alias forwards before any middleware runs: the /v1 request does it all once.
  for (const prefix of UNVERSIONED_ALIASES) {
    const forward: Handler<AppEnv> = (c) => {
      const url = new URL(c.req.url);
      url.pathname = `/v1${url.pathname}`;
      return app.fetch(new Request(url, c.req.raw), c.env);
    };
    app.all(prefix, forward);
    app.all(`${prefix}/*`, forward);
  }

  app.use('*', requestId({ headerName: 'X-Request-Id' }));
  app.use('*', requestLogger(resolved.logger));
  app.use('*', requestSizeLimit(resolved.config));
  const authenticate = requireApiKey(resolved.database);
  app.use('/v1/*', (c: Context<AppEnv>, next: Next) => (isUserCreation(c) ? next() : authenticate(c, next)));

  app.route('/v1', userRoutes(resolved));
  app.route('/v1', datasetRoutes(resolved));
  app.route('/v1', taskRoutes(resolved));
  app.route('/v1', exportRoutes(resolved));
  app.route('/', systemRoutes(resolved));

  registerSecuritySchemes(app);
  const documentConfig: Parameters<typeof app.getOpenAPIDocument>[0] = {
    openapi: '3.0.3',
    info: {
      title: 'datacreek',
      version: API_VERSION,
      description:
        'Build fine-tuning datasets for LLMs as durable Temporal workflows: ingest documents, build (generate, score, filter, dedupe) to an exact target, curate, and export.',
    },
    security: [{ ApiKey: [] }, { Bearer: [] }],
  };
  app.doc('/openapi.json', documentConfig);
  app.get('/docs', (c) => c.html(renderDocsPage(app.getOpenAPIDocument(documentConfig))));

  app.notFound((c) => {
    const err = new ApiError(404, 'route_not_found', `No route ${c.req.method} ${c.req.path}`, 'See /docs or /openapi.json for the routes.');
    return c.json(errorBody(err, c.get('requestId') ?? 'unknown'), 404);
  });
  app.onError((err, c) => {
    const id = c.get('requestId') ?? 'unknown';
    const { apiError, unexpected } = toApiError(err, id);
    const log = c.get('logger') ?? resolved.logger;
    if (unexpected) log.error({ err, requestId: id, method: c.req.method, path: c.req.path }, 'request failed');
    return c.json(errorBody(apiError, id), apiError.status);
  });
  return app;
}

/** POST /v1/users authenticates with the admin token instead of an API key (the first user has no key yet). */
function isUserCreation(c: Context): boolean {
  return c.req.method === 'POST' && c.req.path.replace(/\/+$/, '') === '/v1/users';
}

function registerSecuritySchemes(app: OpenAPIHono<AppEnv>): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'ApiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  registry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer', description: 'The same dck_… API key' });
  registry.registerComponent('securitySchemes', 'AdminToken', { type: 'apiKey', in: 'header', name: 'X-Admin-Token' });
}

function resolveDeps(deps: ApiDeps): ResolvedDeps {
  let store: Promise<VectorTables> | undefined;
  let objects: ObjectStore | undefined;
  return {
    ...deps,
    logger: deps.logger ?? createApiLogger(deps.config),
    vectorTables:
      deps.vectorTables ??
      (() =>
        // Opened on first use: the API needs LanceDB only to drop a deleted dataset's tables.
        (store ??= import('../infra/vectors').then(({ openConfiguredVectorStore }) => openConfiguredVectorStore(deps.config)))),
    objectStore: deps.objectStore ?? (() => (objects ??= openObjectStore(deps.config.storage))),
  };
}
