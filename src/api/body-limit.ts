// Request size limits: JSON bodies are small (api.max_body_bytes), uploads may be large (api.max_upload_bytes).
// Hono's bodyLimit checks Content-Length up front and counts chunked bodies as they stream in, so an oversize
// request is refused before it is read into memory.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { DatacreekConfig } from '../infra/config';
import type { AppEnv } from './context';
import { ApiError } from './errors';

const formatBytes = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);

export function requestSizeLimit(config: DatacreekConfig): MiddlewareHandler<AppEnv> {
  const tooLarge = (limit: number, setting: string) => () => {
    throw new ApiError(
      413,
      'payload_too_large',
      `Request body larger than ${formatBytes(limit)}`,
      `Send a smaller body, or raise ${setting} in the server configuration.`,
    );
  };
  const jsonLimit = bodyLimit({ maxSize: config.api.max_body_bytes, onError: tooLarge(config.api.max_body_bytes, 'api.max_body_bytes') });
  const uploadLimit = bodyLimit({
    maxSize: config.api.max_upload_bytes,
    onError: tooLarge(config.api.max_upload_bytes, 'api.max_upload_bytes'),
  });
  return async (c, next) => {
    const isUpload = (c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
    return (isUpload ? uploadLimit : jsonLimit)(c, next);
  };
}
