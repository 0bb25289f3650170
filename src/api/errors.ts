// Every error the API answers has one shape, `{ error: { code, message, hint }, requestId }`, and is produced in
// one place (the app's onError), whatever threw it: a route, a validator, a body limit, Temporal or PostgreSQL.
import { isGrpcServiceError } from '@temporalio/client';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import {
  DatasetBusyError,
  DatasetExistsError,
  InvalidRequestError,
  NotFoundError,
  OperationError,
  TaskAlreadyRunningError,
  UpdateRejectedError,
  WorkflowUnresponsiveError,
} from '../client';

export interface ErrorIssue {
  path: string;
  message: string;
  code?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly issues?: ErrorIssue[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Others' resources answer 404 exactly like missing ones, so ids never reveal what exists. */
export function notFound(what: string, id: string, hint: string): ApiError {
  return new ApiError(404, 'not_found', `${what} "${id}" not found`, hint);
}

export function badRequest(code: string, message: string, hint: string, issues?: ErrorIssue[]): ApiError {
  return new ApiError(400, code, message, hint, issues);
}

export function conflict(code: string, message: string, hint: string): ApiError {
  return new ApiError(409, code, message, hint);
}

export function zodIssues(error: ZodError): ErrorIssue[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    const keys = (issue as { keys?: string[] }).keys;
    const message = issue.code === 'unrecognized_keys' && keys ? `unknown field(s) ${keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
    return { path: where, message, code: issue.code };
  });
}

const TARGET_NAMES: Record<string, string> = {
  json: 'JSON body',
  form: 'form body',
  query: 'query string',
  param: 'path',
  header: 'headers',
};

/** The defaultHook of every OpenAPI route: a request that does not match its schema is a 400 listing each issue. */
export function validationHook(result: { success: boolean; target: string; error?: ZodError }): void {
  if (result.success || !result.error) return;
  const issues = zodIssues(result.error);
  const what = TARGET_NAMES[result.target] ?? result.target;
  throw badRequest(
    'invalid_request',
    `Invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    'Fix the fields listed in error.issues; /openapi.json describes every request.',
    issues,
  );
}

export function errorBody(err: ApiError, requestId: string) {
  return {
    error: { code: err.code, message: err.message, hint: err.hint ?? null, ...(err.issues ? { issues: err.issues } : {}) },
    requestId,
  };
}

/** Turns anything thrown into an ApiError; unknown errors become a 500 whose message leaks no internals. */
export function toApiError(err: unknown, requestId: string): { apiError: ApiError; unexpected: boolean } {
  if (err instanceof ApiError) return { apiError: err, unexpected: false };
  if (err instanceof OperationError) {
    const apiError = fromOperationError(err);
    if (apiError) return { apiError, unexpected: false };
  }
  if (err instanceof HTTPException) return { apiError: fromHttpException(err), unexpected: false };
  const grpcCode = temporalGrpcCode(err);
  if (grpcCode === GRPC_UNAVAILABLE) {
    return {
      apiError: new ApiError(
        503,
        'temporal_unavailable',
        'The Temporal server cannot be reached',
        'Start it (`datacreek dev`) or check temporal.address in the configuration, then retry.',
      ),
      unexpected: true,
    };
  }
  if (grpcCode === GRPC_DEADLINE_EXCEEDED) {
    return {
      apiError: new ApiError(
        504,
        'temporal_timeout',
        'The Temporal server did not answer in time',
        "Retry; if it persists, check the Temporal server's health.",
      ),
      unexpected: true,
    };
  }
  return {
    apiError: new ApiError(500, 'internal_error', 'Internal server error', `Retry later; the server log has the details under request id ${requestId}.`),
    unexpected: true,
  };
}

const NOT_FOUND_HINTS: Record<NotFoundError['resource'], string> = {
  dataset: 'List your datasets with GET /v1/datasets, or create it with POST /v1/datasets.',
  task: 'List your tasks with GET /v1/tasks.',
};

/** An operation's refusal as an HTTP answer, with a hint in the API's own terms (routes, not commands). */
function fromOperationError(err: OperationError): ApiError | undefined {
  if (err instanceof InvalidRequestError) return badRequest(err.code, err.message, err.hint, err.issues);
  if (err instanceof NotFoundError) return notFound(err.resource, err.id, NOT_FOUND_HINTS[err.resource]);
  if (err instanceof DatasetExistsError) return conflict(err.code, err.message, 'Choose another id, or use your existing dataset (GET /v1/datasets).');
  if (err instanceof TaskAlreadyRunningError) {
    const task = `/v1/tasks/${err.taskId}`;
    return conflict(err.code, err.message, `Follow it with GET ${task}, change it with PATCH, or cancel it with POST ${task}/cancel.`);
  }
  if (err instanceof DatasetBusyError) {
    return conflict(
      err.code,
      err.message,
      err.hint ?? `Wait for them to finish or cancel them (POST /v1/tasks/${err.runningTasks[0]}/cancel), then delete again.`,
    );
  }
  if (err instanceof UpdateRejectedError) {
    return conflict(err.code, `The task refused ${err.update}: ${err.reason}`, "Read the task's progress (GET /v1/tasks/{id}) and send a value it can accept.");
  }
  if (err instanceof WorkflowUnresponsiveError) {
    return new ApiError(
      504,
      err.code,
      `The task did not answer ${err.update} within ${err.deadlineMs / 1000} s`,
      `Check that a datacreek worker runs on task queue "${err.taskQueue}" (datacreek worker), then retry.`,
    );
  }
  return undefined;
}

function fromHttpException(err: HTTPException): ApiError {
  switch (err.status) {
    case 400:
      return badRequest('malformed_body', `Malformed request body: ${err.message}`, 'Send valid JSON with Content-Type: application/json.');
    case 413:
      return new ApiError(413, 'payload_too_large', 'Request body too large', 'Send a smaller body (limits: api.max_body_bytes, api.max_upload_bytes).');
    case 415:
      return new ApiError(
        415,
        'unsupported_media_type',
        `Unsupported Content-Type`,
        'Send Content-Type: application/json (or multipart/form-data for uploads).',
      );
    default:
      return new ApiError(err.status as ContentfulStatusCode, 'http_error', err.message || 'Request failed', 'See /docs for how to call this route.');
  }
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** The gRPC status code of a failed Temporal call (the client's ServiceError wraps the gRPC error as its cause). */
function temporalGrpcCode(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  const e = err as { name?: string; cause?: unknown };
  if (e?.name === 'ServiceError' && isGrpcServiceError(e.cause)) return e.cause.code;
  return undefined;
}
