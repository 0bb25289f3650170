// Structured request logs. Keys and tokens must never reach a log line, even by accident (an error object that
// carries request headers, a future debug statement): pino's redact removes them wherever they appear.
import pino, { type Logger } from 'pino';
import type { MiddlewareHandler } from 'hono';
import type { DatacreekConfig } from '../infra/config';
import type { AppEnv } from './context';

export const REDACTED_PATHS = [
  'headers["x-api-key"]',
  'headers.authorization',
  'headers["x-admin-token"]',
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-admin-token"]',
  'apiKey',
  'key',
  'token',
  '*.apiKey',
  '*.key',
  '*.api_key',
  '*.admin_token',
];

export function createApiLogger(config: DatacreekConfig, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: 'datacreek-api',
    level: config.log_level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** One line per request: method, path, status, duration, request id and user; never headers or bodies. */
export function requestLogger(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const log = logger.child({ requestId: c.get('requestId') });
    c.set('logger', log);
    await next();
    const user = c.get('user');
    const fields = {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
      userId: user?.id,
    };
    if (c.res.status >= 500) log.error(fields, 'request failed');
    else log.info(fields, 'request');
  };
}
