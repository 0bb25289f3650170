// exportDataset: one activity that writes the accepted records in a training format with deterministic splits.
import { workflowInfo } from '@temporalio/workflow';
import type { ExportActivities } from '../activities/export';
import { routedActivities } from './routed-activities';
import { exportInputSchema, type ExportInput, type ExportResult } from './curate-input';
import { tagDatasetTask } from './search-attributes';
import { failWithCause, parseWorkflowInput } from './validate';

const { exportRecords } = routedActivities<ExportActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidInput', 'NotFound', 'ExportFormatError', 'DatasetBusy'] },
});

export async function exportDataset(raw: ExportInput): Promise<ExportResult> {
  const input = parseWorkflowInput(exportInputSchema, raw, 'exportDataset');
  tagDatasetTask(input, 'export');
  return failWithCause(() => exportRecords({ ...input, exportId: workflowInfo().workflowId }));
}
