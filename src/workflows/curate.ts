// curateDataset: rate a dataset's records in batches with an LLM judge (and/or a reward model), keep those at or
// above the threshold, run the filter pipeline, dedupe, optionally augment, and write the quality report.
// Works on built and imported datasets alike; returns its metrics: total, kept, retention, average score.
import { CancellationScope, patched, workflowInfo } from '@temporalio/workflow';
import type { CurateActivities, CurateBatchResult } from '../activities/curate';
import { routedActivities } from './routed-activities';
import { curateInputSchema, type CurateInput, type CurateResult } from './curate-input';
import { tagDatasetTask } from './search-attributes';
import { failWithCause, parseWorkflowInput } from './validate';

const activities = routedActivities<CurateActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['InvalidInput', 'NotFound', 'Forbidden', 'InvariantViolated', 'DatasetBusy'],
  },
});

const DEFAULT_BATCH = 50;
const BATCHES_IN_FLIGHT = 3;

export async function curateDataset(raw: CurateInput): Promise<CurateResult> {
  const input = parseWorkflowInput(curateInputSchema, raw, 'curateDataset');
  const workflowId = workflowInfo().workflowId;
  tagDatasetTask(input, 'curate');
  const { total, maxSeq } = await failWithCause(() => activities.prepareCurate({ datasetId: input.datasetId, ownerId: input.ownerId, workflowId }));

  // From here on this curation holds the dataset's writer lease: whatever happens, finishCurate renumbers the
  // accepted set, recounts it and gives the lease back (a cancelled curation included).
  let result: CurateResult;
  try {
    const size = input.batchSize ?? DEFAULT_BATCH;
    const ranges: [number, number][] = [];
    for (let from = 1; from <= maxSeq; from += size) ranges.push([from, Math.min(maxSeq, from + size - 1)]);
    const results: CurateBatchResult[] = [];
    let next = 0;
    const slot = async () => {
      while (next < ranges.length) {
        const [fromSeq, toSeq] = ranges[next++];
        results.push(
          await activities.curateBatch({
            datasetId: input.datasetId,
            fromSeq,
            toSeq,
            threshold: input.threshold ?? 7,
            scoring: input.scoring ?? 'judge',
            filters: input.filters ?? [],
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCHES_IN_FLIGHT, ranges.length) }, slot));

    const removed: Record<string, number> = {};
    const add = (counts: Record<string, number>) => {
      for (const [k, n] of Object.entries(counts)) removed[k] = (removed[k] ?? 0) + n;
    };
    results.forEach((r) => add(r.removed));
    if (input.dedup) add(await activities.curateDedup({ datasetId: input.datasetId }));
    const augmented = input.augment
      ? await activities.augmentDataset({ datasetId: input.datasetId, workflowId, kinds: input.augment.kinds, ratio: input.augment.ratio })
      : 0;
    const report = input.report ? await activities.writeQualityReport({ datasetId: input.datasetId }) : undefined;
    const keptNow = await activities.finishCurate({ datasetId: input.datasetId });
    const scored = results.reduce((n, r) => n + r.scored, 0);
    const kept = keptNow - augmented;
    result = {
      datasetId: input.datasetId,
      total,
      kept,
      removed,
      retentionRate: total ? kept / total : 0,
      averageScore: scored ? results.reduce((s, r) => s + r.scoreSum, 0) / scored : null,
      augmented,
      report,
    };
  } catch (err) {
    // Curations started before this path existed end as they always did; their lease, if any, goes stale.
    if (patched('curate-finish-on-failure')) {
      await CancellationScope.nonCancellable(() => activities.finishCurate({ datasetId: input.datasetId }));
    }
    throw err;
  }
  return result;
}
