import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';

/** Validates a workflow's input; a bad input fails the workflow at once (no retry) with every problem listed. */
export function parseWorkflowInput<S extends z.ZodType>(schema: S, raw: unknown, workflowName: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`);
  throw ApplicationFailure.nonRetryable(`Invalid ${workflowName} input:\n  - ${problems.join('\n  - ')}`, 'InvalidInput', { problems });
}

export interface FailureView {
  code: string;
  message: string;
  hint?: string;
}

/**
 * The message, error type and hint of a failure: the innermost ApplicationFailure under the wrappers Temporal adds
 * (WorkflowFailedError, ActivityFailure, ChildWorkflowFailure), whose details carry the activity's `{ hint }`.
 * The one place failures are unwrapped: workflows use it for per-item statuses, the API and the CLI for a failed
 * task. `fallbackCode` names a failure that has no error type (a cancellation, a timeout) instead of its class.
 */
export function describeFailure(err: unknown, fallbackCode?: string): FailureView {
  let cur: any = err;
  while (cur?.cause && !(cur.type && cur.name === 'ApplicationFailure')) cur = cur.cause;
  const details = Array.isArray(cur?.details) ? cur.details[0] : undefined;
  return {
    code: cur?.type ?? fallbackCode ?? cur?.name ?? 'Error',
    message: cur?.message ?? String(err),
    hint: details && typeof details === 'object' && 'hint' in details ? String(details.hint) : undefined,
  };
}

/**
 * Runs an activity whose failure ends the workflow, and surfaces the activity's own message (e.g. "dataset X
 * has no chunks … ingest first") as the workflow's failure instead of the generic "Activity task failed".
 */
export async function failWithCause<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      const cause = err.cause;
      throw ApplicationFailure.create({ message: cause.message, type: cause.type ?? undefined, nonRetryable: true, details: cause.details as unknown[] });
    }
    throw err;
  }
}
