// ingestWorkflow: every file or URL becomes chunks (documents) or seed records (datasets) in PostgreSQL and
// vectors in the dataset's LanceDB table. Each document is its own activity, so one unreadable file fails
// alone, with its reason, while the others finish.
import { CancellationScope, defineQuery, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { IngestActivities } from '../activities/ingest';
import { routedActivities } from './routed-activities';
import { ingestInputSchema, type IngestFileResult, type IngestInput, type IngestResult } from './ingest-input';
import { tagDatasetTask } from './search-attributes';
import { describeFailure, parseWorkflowInput } from './validate';

const { prepareIngest, finishIngest } = routedActivities<IngestActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidInput', 'NotFound', 'Forbidden', 'DatasetBusy'] },
});

const { ingestDocument } = routedActivities<IngestActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 6 },
});

export interface IngestProgress {
  total: number;
  done: number;
  failed: number;
  chunks: number;
}
export const ingestProgressQuery = defineQuery<IngestProgress>('progress');

export async function ingestWorkflow(raw: IngestInput): Promise<IngestResult> {
  const input = parseWorkflowInput(ingestInputSchema, raw, 'ingest');
  tagDatasetTask(input, 'ingest');

  const plan = await prepareIngest({
    datasetId: input.datasetId,
    ownerId: input.ownerId,
    items: input.items,
    include: input.include,
    exclude: input.exclude,
    allowedRoots: input.allowedRoots,
  });

  const progress: IngestProgress = { total: plan.files.length, done: 0, failed: 0, chunks: 0 };
  setHandler(ingestProgressQuery, () => progress);

  const files: IngestFileResult[] = new Array(plan.files.length);
  let next = 0;
  // A sliding window: a slot is refilled as soon as its document finishes, never waiting for the slowest.
  const runSlot = async () => {
    while (next < plan.files.length) {
      const index = next++;
      const file = plan.files[index];
      try {
        const res = await ingestDocument({
          datasetId: input.datasetId,
          file,
          chunking: input.chunking,
          taskId: workflowInfo().workflowId,
        });
        files[index] = { item: file.label, ...res };
        progress.chunks += res.chunks ?? 0;
      } catch (err) {
        files[index] = { item: file.label, status: 'failed', error: describeFailure(err) };
        progress.failed++;
      }
      progress.done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(input.concurrency, plan.files.length) }, runSlot));
  } finally {
    // prepareIngest took the dataset's writer lease; it goes back however the files went (ingests started before
    // this release existed leave a lease that goes stale when they close).
    if (patched('ingest-release-writer')) await CancellationScope.nonCancellable(() => finishIngest({ datasetId: input.datasetId }));
  }

  const count = (s: IngestFileResult['status']) => files.filter((f) => f.status === s).length;
  return {
    datasetId: input.datasetId,
    files,
    skipped: plan.skipped,
    totals: {
      ingested: count('ingested'),
      unchanged: count('unchanged'),
      failed: count('failed'),
      skipped: plan.skipped.length,
      chunks: files.reduce((n, f) => n + (f.chunks ?? 0), 0),
      seedRecords: files.reduce((n, f) => n + (f.seedRecords ?? 0), 0),
    },
  };
}
