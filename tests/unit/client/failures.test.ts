// Failures as Temporal's client reports them, built from the real error classes (no server needed).
import { ActivityFailure, ApplicationFailure, CancelledFailure, ChildWorkflowFailure, WorkflowFailedError } from '@temporalio/client';
import { RetryState } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { describeWorkflowFailure, isCancelled } from '../../../src/client';

const activityFailure = (cause: Error) => new ActivityFailure('Activity task failed', 'checkDataset', 'a1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);
const workflowFailed = (cause: Error) => new WorkflowFailedError('Workflow execution failed', cause, RetryState.NON_RETRYABLE_FAILURE);

describe('describeWorkflowFailure', () => {
  it("reports the activity's own message, type and hint under the workflow and activity wrappers", () => {
    const cause = ApplicationFailure.create({ message: 'dataset "docs" has no chunks', type: 'NoChunks', details: [{ hint: 'ingest first' }] });
    expect(describeWorkflowFailure(workflowFailed(activityFailure(cause)))).toEqual({
      code: 'NoChunks',
      message: 'dataset "docs" has no chunks',
      hint: 'ingest first',
    });
  });

  it('looks through a child workflow too', () => {
    const cause = ApplicationFailure.create({ message: 'busy', type: 'DatasetBusy' });
    const child = new ChildWorkflowFailure(
      'default',
      { workflowId: 'c', runId: 'r' },
      'exportDataset',
      RetryState.NON_RETRYABLE_FAILURE,
      activityFailure(cause),
    );
    expect(describeWorkflowFailure(workflowFailed(child))).toEqual({ code: 'DatasetBusy', message: 'busy', hint: undefined });
  });

  it('names an untyped failure by its class, or by the fallback code when one is given', () => {
    const cancelled = workflowFailed(new CancelledFailure('Workflow canceled'));
    expect(describeWorkflowFailure(cancelled)).toMatchObject({ code: 'CancelledFailure', message: 'Workflow canceled' });
    expect(describeWorkflowFailure(cancelled, 'cancelled')).toMatchObject({ code: 'cancelled', message: 'Workflow canceled' });
  });

  it('describes a plain error and a non-error', () => {
    expect(describeWorkflowFailure(new Error('boom'))).toEqual({ code: 'Error', message: 'boom', hint: undefined });
    expect(describeWorkflowFailure('text')).toEqual({ code: 'Error', message: 'text', hint: undefined });
  });
});

describe('isCancelled', () => {
  it('is true only for a workflow that ended by cancellation', () => {
    expect(isCancelled(workflowFailed(new CancelledFailure('Workflow canceled')))).toBe(true);
    expect(isCancelled(workflowFailed(ApplicationFailure.create({ message: 'no', type: 'X' })))).toBe(false);
    expect(isCancelled(new Error('cancelled'))).toBe(false);
  });
});
