// runPipeline: a YAML block pipeline over batches of rows. Each batch runs its blocks in order, one activity
// per block; several batches run at once. Every finished block of every batch is a checkpoint in
// PostgreSQL (the rows after it, its rejects, its counts), so a killed worker or a restarted run redoes only
// the block that was running. Rows never enter this history: activities read and write PostgreSQL and
// return counts. A block that keeps failing on a batch rejects that batch's rows with the reason and the run
// goes on with the others.
import { CancellationScope, condition, continueAsNew, isCancellation, setHandler, workflowInfo, allHandlersFinished, defineQuery } from '@temporalio/workflow';
import type { PipelineActivities } from '../activities/pipeline';
import { routedActivities } from './routed-activities';
import { pauseSignal, resumeSignal, setConcurrencyUpdate } from './messages';
import { pipelineRunInputSchema, type PipelineBlockSummary, type PipelineProgress, type PipelineRunInput, type PreparedPipelineRun } from './pipeline-input';
import { describeFailure, failWithCause, parseWorkflowInput } from './validate';

/** Same name as the build's query, so `datacreek tasks status` and the API read either. */
export const pipelineProgressQuery = defineQuery<PipelineProgress>('progress');

const NON_RETRYABLE = ['InvalidInput', 'InvalidPipeline', 'InvalidTaxonomy', 'NotFound', 'Forbidden'];

const { preparePipelineRun, rejectPipelineBatch, finalizePipelineRun } = routedActivities<PipelineActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
});

function blockActivity(heartbeatTimeoutMs: number) {
  return routedActivities<PipelineActivities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: heartbeatTimeoutMs,
    // Bounded: an endpoint that stays down for five attempts rejects this batch's rows (with the reason)
    // rather than holding the whole run.
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
  }).runPipelineBlock;
}

export interface PipelineCarryOver {
  prepared: PreparedPipelineRun;
  progress: PipelineProgress;
  /** Per batch: the next block to run (blocks.length = done). */
  cursors: number[];
  paused: boolean;
}

export async function runPipeline(raw: PipelineRunInput, carried?: PipelineCarryOver): Promise<PipelineProgress> {
  const input = parseWorkflowInput(pipelineRunInputSchema, raw, 'runPipeline');
  const workflowId = workflowInfo().workflowId;
  let paused = carried?.paused ?? false;
  const progress: PipelineProgress = carried?.progress ?? {
    status: 'running',
    file: '',
    batches: 0,
    batchesDone: 0,
    batchesInFlight: 0,
    inputRows: 0,
    outputRows: 0,
    blocks: [],
    rejected: {},
    tokensIn: 0,
    tokensOut: 0,
    llmCalls: 0,
    concurrency: input.concurrency ?? 0,
    continuedAsNew: 0,
    warnings: [],
  };
  if (carried) progress.continuedAsNew++;
  const view = (): PipelineProgress => ({ ...progress, status: paused && progress.status === 'running' ? 'paused' : progress.status });
  setHandler(pipelineProgressQuery, view);
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(
    setConcurrencyUpdate,
    (arg) => {
      progress.concurrency = typeof arg === 'number' ? arg : arg.concurrency;
      return view() as never;
    },
    {
      validator: (arg) => {
        const c = typeof arg === 'number' ? arg : arg?.concurrency;
        if (!Number.isInteger(c) || c < 1 || c > 64) throw new Error('concurrency must be a whole number from 1 to 64');
      },
    },
  );

  const prepared = carried?.prepared ?? (await failWithCause(() => preparePipelineRun({ workflowId, input })));
  if (!carried) {
    progress.file = prepared.file;
    progress.batches = prepared.batches;
    progress.inputRows = prepared.inputRows;
    progress.warnings = prepared.warnings;
    progress.blocks = prepared.blocks.map((b) => ({ ...b, batchesDone: 0, rowsIn: 0, rowsOut: 0, rejected: 0 }));
    if (!progress.concurrency) progress.concurrency = prepared.concurrency;
  }
  const blockCount = prepared.blocks.length;
  const cursors = carried?.cursors ?? Array.from({ length: prepared.batches }, () => 0);
  const runPipelineBlock = blockActivity(prepared.heartbeatTimeoutMs);

  const running = new Set<number>();
  let failure: unknown;

  const record = (summary: PipelineBlockSummary) => {
    const block = progress.blocks[summary.blockIndex];
    block.batchesDone++;
    block.rowsIn += summary.rowsIn;
    block.rowsOut += summary.rowsOut;
    for (const [reason, n] of Object.entries(summary.rejected)) {
      block.rejected += n;
      progress.rejected[reason] = (progress.rejected[reason] ?? 0) + n;
    }
    progress.tokensIn += summary.tokensIn;
    progress.tokensOut += summary.tokensOut;
    progress.llmCalls += summary.llmCalls;
  };

  /** Runs one batch from its cursor to the end, block by block; stops between blocks when paused. */
  const runBatch = async (batch: number) => {
    while (cursors[batch] < blockCount) {
      await condition(() => !paused);
      const blockIndex = cursors[batch];
      try {
        record(await runPipelineBlock({ runId: workflowId, batch, blockIndex }));
      } catch (err) {
        if (isCancellation(err)) throw err;
        // The block failed for good on this batch (retries spent, or a bug): its rows become rejects with the reason.
        const cause = describeFailure(err);
        record(await rejectPipelineBatch({ runId: workflowId, batch, blockIndex, reason: `block_failed: ${cause.code}: ${cause.message}`.slice(0, 500) }));
        for (let later = blockIndex + 1; later < blockCount; later++) progress.blocks[later].batchesDone++;
        cursors[batch] = blockCount;
        break;
      }
      cursors[batch] = blockIndex + 1;
    }
    progress.batchesDone++;
  };

  try {
    for (;;) {
      const waiting = cursors.map((c, batch) => ({ c, batch })).filter(({ c, batch }) => c < blockCount && !running.has(batch));
      const mayLaunch = () => !paused && failure === undefined && !workflowInfo().continueAsNewSuggested;
      for (const { batch } of waiting) {
        if (!mayLaunch() || running.size >= progress.concurrency) break;
        running.add(batch);
        progress.batchesInFlight = running.size;
        runBatch(batch).then(
          () => {
            running.delete(batch);
            progress.batchesInFlight = running.size;
          },
          (err) => {
            running.delete(batch);
            progress.batchesInFlight = running.size;
            failure ??= err;
          },
        );
      }
      if (failure !== undefined && running.size === 0) throw failure;
      const allDone = cursors.every((c) => c >= blockCount);
      if (allDone && running.size === 0) break;
      if (running.size === 0 && !paused && workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof runPipeline>(raw, { prepared, progress, cursors, paused });
      }
      const before = { running: running.size, paused, concurrency: progress.concurrency, failed: failure !== undefined };
      await condition(
        () =>
          running.size !== before.running ||
          paused !== before.paused ||
          progress.concurrency !== before.concurrency ||
          (failure !== undefined) !== before.failed,
      );
    }
  } catch (err) {
    if (isCancellation(err)) {
      progress.status = 'cancelled';
      await CancellationScope.nonCancellable(async () => {
        await condition(() => running.size === 0);
        const done = await finalizePipelineRun({ runId: workflowId, status: 'cancelled' });
        progress.outputRows = done.outputRows;
        progress.outputPath = done.outputPath;
      });
    }
    throw err;
  }

  const done = await finalizePipelineRun({ runId: workflowId, status: 'completed' });
  progress.status = 'completed';
  progress.batchesInFlight = 0;
  progress.outputRows = done.outputRows;
  progress.outputPath = done.outputPath;
  await condition(allHandlersFinished);
  return progress;
}
