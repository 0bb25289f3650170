// How a failed task is reported: the activity's own message, error type and hint, not Temporal's wrappers. The
// unwrapping itself lives with the workflows (they describe failed items with it) and is the only copy.
import { WorkflowFailedError } from '@temporalio/client';

export { describeFailure as describeWorkflowFailure, type FailureView } from '../workflows/validate';

/** True when a workflow ended because it was cancelled. */
export function isCancelled(err: unknown): boolean {
  return err instanceof WorkflowFailedError && (err.cause?.name === 'CancelledFailure' || /cancel/i.test(err.message));
}
