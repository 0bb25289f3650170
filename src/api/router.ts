// Every router validates with the same hook, so a bad request gets the same 400 shape on every route.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context';
import { validationHook } from './errors';

export const createRouter = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
