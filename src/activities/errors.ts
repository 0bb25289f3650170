// Turning known bad-input errors into non-retryable Temporal failures: retrying an encrypted PDF or an
// invalid dataset file cannot help, and the message must reach the person with the file name and the fix.
import { ApplicationFailure } from '@temporalio/activity';

export function badInput(type: string, message: string, hint?: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: hint ? [{ hint }] : [] });
}

/** Errors that carry a `hint` (DocumentError, DatasetFormatError, ConfigError …) become non-retryable failures. */
export function asNonRetryable(err: unknown, type: string): never {
  const e = err as { message?: string; hint?: string; code?: string };
  throw badInput(e.code ? `${type}:${e.code}` : type, e.message ?? String(err), e.hint);
}
