import { Writable } from 'node:stream';
import { ServiceError } from '@temporalio/client';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { ApiError, toApiError } from '../../../src/api/errors';
import { createApiLogger } from '../../../src/api/logger';
import { loadConfig } from '../../../src/infra/config/load';

/** A gRPC error as @grpc/grpc-js produces it. */
function grpcError(code: number): Error {
  return Object.assign(new Error(`${code} grpc failure`), { code, details: 'failure', metadata: {} });
}

describe('toApiError', () => {
  it('keeps ApiErrors as they are', () => {
    const err = new ApiError(409, 'conflict', 'busy', 'wait');
    expect(toApiError(err, 'r1')).toEqual({ apiError: err, unexpected: false });
  });

  it('maps Temporal being unreachable to 503 and a Temporal timeout to 504', () => {
    expect(toApiError(new ServiceError('unavailable', { cause: grpcError(14) }), 'r1').apiError).toMatchObject({ status: 503, code: 'temporal_unavailable' });
    expect(toApiError(grpcError(4), 'r1').apiError).toMatchObject({ status: 504, code: 'temporal_timeout' });
  });

  it('maps hono HTTP exceptions to the error shape', () => {
    expect(toApiError(new HTTPException(415), 'r1').apiError).toMatchObject({ status: 415, code: 'unsupported_media_type' });
  });

  it('hides the message of an unexpected error and points at the request id', () => {
    const { apiError, unexpected } = toApiError(new Error('relation "users" does not exist at 10.0.0.5'), 'req-42');
    expect(unexpected).toBe(true);
    expect(apiError.status).toBe(500);
    expect(apiError.message).not.toContain('10.0.0.5');
    expect(apiError.hint).toContain('req-42');
  });
});

describe('API logger', () => {
  it('never writes API keys, bearer tokens or the admin token', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createApiLogger(loadConfig({ env: {} }), sink);
    const key = 'dck_secretsecretsecretsecretsecretsecretsecret';
    logger.info({ req: { headers: { 'x-api-key': key, authorization: `Bearer ${key}`, 'x-admin-token': 'admin-secret' } } }, 'request');
    logger.info({ headers: { 'x-api-key': key }, apiKey: key, user: { key } }, 'other shapes');
    const output = lines.join('');
    expect(output).toContain('"msg":"request"');
    expect(output).not.toContain('secretsecret');
    expect(output).not.toContain('admin-secret');
    expect(output).toContain('[redacted]');
  });
});
