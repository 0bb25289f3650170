// buildDataset: generate → score → filter (one fat activity per batch, several batches in flight) → dedupe
// and accept (one batch at a time, so "exactly target" holds) until exactly `target` records are accepted,
// max rounds pass, the token budget is spent, or the build is cancelled. Records never enter this history:
// activities read and write PostgreSQL and LanceDB and return counts.
// This file wires the live controls, the activities and the patch gates to BuildState (build-state.ts), which
// holds the loop's state and makes its decisions.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { BuildActivities } from '../activities/build';
import { buildInputSchema, type BuildInput, type BuildProgress } from './build-input';
import type { AcceptSummary } from './build-settings';
import { BuildState, type BuildCarryOver } from './build-state';
import type { PlannedBatch } from './launch-policy';
import { pauseSignal, progressQuery, resumeSignal, setConcurrencyUpdate, setTargetUpdate } from './messages';
import { ACCEPTED, DATASET_ID, OWNER, STAGE } from './search-attributes';
import { describeFailure, failWithCause, parseWorkflowInput } from './validate';

const NON_RETRYABLE = ['InvalidInput', 'NotFound', 'Forbidden', 'ConfigError', 'InvariantViolated', 'BatchClosed', 'DatasetBusy'];

/**
 * Changes to this workflow's decisions, each behind a `patched()` gate so builds started by older code replay
 * unchanged (docs/versioning.md). A gate is removed only once no execution from before it can still be running.
 */
const PATCH = {
  /** A cancel lets a running acceptance commit, and waits for it before finalizing. */
  acceptanceSurvivesCancel: 'acceptance-survives-cancel',
  /** setTarget is applied between acceptances, never during one. */
  setTargetBetweenAcceptances: 'set-target-between-acceptances',
  /** A paused build whose target is met completes. */
  pausedBuildCompletesAtTarget: 'paused-build-completes-at-target',
  /** A failed build finalizes the dataset as failed before the workflow fails. */
  failedBuildFinalizes: 'failed-build-finalizes',
  /** Launches are sized by the records still missing and the yield expected, not by concurrency alone. */
  launchForMissing: 'launch-for-missing',
} as const;

const { prepareBuild, finalizeBuild } = proxyActivities<BuildActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE },
});

// One batch = tens to hundreds of LLM calls; it heartbeats on a timer whatever its calls are doing, so a dead worker
// is noticed within the heartbeat timeout (the config's worker.heartbeat_timeout_ms, resolved into the settings) and
// the retry resumes from what is already in PostgreSQL. Attempts are bounded: a batch that fails five times fails
// the build (finalized as failed), and an acceptance that fails ten times does too.
function batchActivities(heartbeatTimeoutMs: number | undefined) {
  const heartbeatTimeout = heartbeatTimeoutMs ?? '2 minutes';
  const { processBatch } = proxyActivities<BuildActivities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout,
    // A cancelled batch (the target was met) settles only once the activity has really stopped: with the default
    // TRY_CANCEL the workflow went on to finalizeBuild while the batch was still writing candidates, which then
    // stayed candidates for ever (found by tests/chaos/llm-faults.test.ts).
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
  });
  const { acceptBatch } = proxyActivities<BuildActivities>({
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout,
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
  });
  return { processBatch, acceptBatch };
}

export async function buildDataset(raw: BuildInput, carried?: BuildCarryOver): Promise<BuildProgress> {
  const input = parseWorkflowInput(buildInputSchema, raw, 'buildDataset');
  const workflowId = workflowInfo().workflowId;
  const state = new BuildState<CancellationScope>(input, carried, () => workflowInfo().continueAsNewSuggested);
  const { progress } = state;

  // ---- live controls: registered before the first await, so `progress` answers from the very start ----
  setHandler(progressQuery, () => state.view());
  setHandler(pauseSignal, () => {
    state.paused = true;
    upsertSearchAttributes([{ key: STAGE, value: 'paused' }]);
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
    upsertSearchAttributes([{ key: STAGE, value: 'building' }]);
  });
  setHandler(
    setTargetUpdate,
    async (arg) => {
      const target = typeof arg === 'number' ? arg : arg.target;
      if (patched(PATCH.setTargetBetweenAcceptances)) {
        // An acceptance started under the old target may still accept up to it: apply the new one only after it,
        // and check again against what it accepted.
        state.targetChangesWaiting++;
        try {
          await condition(() => state.mayChangeTarget());
        } finally {
          state.targetChangesWaiting--;
        }
        const refusal = state.targetRefusal(target);
        if (refusal) throw ApplicationFailure.create({ type: 'InvalidTarget', message: refusal, nonRetryable: true });
      }
      progress.target = target;
      return state.view();
    },
    {
      validator: (arg) => {
        const refusal = state.targetRefusal(typeof arg === 'number' ? arg : arg?.target);
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(
    setConcurrencyUpdate,
    (arg) => {
      progress.concurrency = typeof arg === 'number' ? arg : arg.concurrency;
      return state.view();
    },
    {
      validator: (arg) => {
        const c = typeof arg === 'number' ? arg : arg?.concurrency;
        if (!Number.isInteger(c) || c < 1 || c > 64) throw new Error('concurrency must be a whole number from 1 to 64');
      },
    },
  );

  if (!carried) {
    upsertSearchAttributes([
      { key: DATASET_ID, value: input.datasetId },
      { key: OWNER, value: input.ownerId },
      { key: STAGE, value: 'building' },
      { key: ACCEPTED, value: 0 },
    ]);
    state.prepare(await failWithCause(() => prepareBuild({ input, workflowId, runKey: workflowInfo().firstExecutionRunId })));
  }
  const build = state.build;
  const { processBatch, acceptBatch } = batchActivities(build.heartbeatTimeoutMs);
  // Launches sized by the records still missing (launch-policy.ts) instead of by concurrency; builds started
  // before keep launching full batches up to the concurrency, as their histories recorded.
  const launchForMissing = patched(PATCH.launchForMissing);

  // ---- the pipeline ---------------------------------------------------------------------------------
  const launch = (plan?: PlannedBatch) => {
    const scope = new CancellationScope();
    const batch = state.launch(workflowId, scope, plan);
    scope
      .run(() => processBatch({ workflowId, batchId: batch.id, round: batch.round, index: batch.index, settings: batch.settings, ...batch.slice }))
      .then(
        (summary) => state.batchProcessed(batch.id, summary),
        (err) => state.batchEnded(batch.id, err, scope.consideredCancelled),
      );
  };

  // Acceptance is serialized: each batch is deduplicated against everything accepted before it and accepts
  // at most what is still missing, so the dataset ends with exactly `target` records. It runs beside the
  // launch loop, not in it: a batch that finishes while another is being accepted is replaced at once, so
  // the endpoint never waits for a dedup step.
  const acceptNext = async () => {
    const group = state.takeAcceptanceGroup(workflowId);
    try {
      const accept = () => acceptBatch({ workflowId, batchIds: group.batchIds, settings: build, acceptanceId: group.acceptanceId, target: group.target, remaining: group.remaining, progress: group.progress });
      // Once started, an acceptance commits or fails on its own: a cancel waits for it rather than abandoning a
      // transaction whose records would then be counted by nobody.
      const result: AcceptSummary = patched(PATCH.acceptanceSurvivesCancel) ? await CancellationScope.nonCancellable(accept) : await accept();
      state.acceptanceCommitted(result);
      upsertSearchAttributes([{ key: ACCEPTED, value: progress.accepted }]);
    } finally {
      state.acceptanceEnded();
    }
  };
  const startAccepting = () => {
    state.beginAcceptance();
    acceptNext().catch((err) => {
      state.failure ??= err;
    });
  };

  const launchWhatIsMissing = () => {
    const decision = state.launchDecision();
    if (!decision) return;
    if (decision.cancelInFlight) for (const scope of state.withdrawInFlight()) scope.cancel();
    for (const plan of decision.launch) {
      if (!state.canLaunch() || !state.hasRoom()) break;
      launch(plan);
    }
  };

  try {
    for (;;) {
      if (launchForMissing) launchWhatIsMissing();
      else while (state.mayLaunchFullBatch()) launch();
      if (state.failure) throw state.failure;
      if (state.mayAccept()) startAccepting();
      // The target is met: batches still generating can only add surplus, so stop them now.
      if (state.targetMetAndAccepted()) for (const scope of state.inFlightHandles()) scope.cancel();
      // Paused means "launch nothing new"; a paused build whose target is met has nothing left to do.
      if (state.idle() && (!state.paused || (state.remaining() <= 0 && patched(PATCH.pausedBuildCompletesAtTarget)))) {
        if (state.settleStopReason()) break;
        if (workflowInfo().continueAsNewSuggested) {
          await condition(allHandlersFinished);
          await continueAsNew<typeof buildDataset>(raw, state.carryOver());
        }
      }
      const before = state.snapshot();
      await condition(() => state.changedSince(before));
    }
  } catch (err) {
    if (isCancellation(err)) {
      progress.status = 'cancelled';
      progress.stopReason = 'cancelled';
      // Cleanup must run even though the workflow is being cancelled: keep what was accepted, mark the rest.
      await CancellationScope.nonCancellable(async () => {
        // The batches got the cancellation too; finalize only once they have stopped writing, and once a running
        // acceptance has committed (its records count).
        if (patched(PATCH.acceptanceSurvivesCancel)) await condition(() => state.settled(true));
        else await condition(() => state.settled(false));
        progress.batchesInFlight = 0;
        await finalizeBuild({ workflowId, datasetId: build.datasetId, buildId: build.buildId, status: 'cancelled', progress: { ...progress } });
        upsertSearchAttributes([{ key: STAGE, value: 'cancelled' }, { key: ACCEPTED, value: progress.accepted }]);
      });
      throw err;
    }
    if (patched(PATCH.failedBuildFinalizes)) {
      // A failed build still ends cleanly: stop the other batches, let a running acceptance commit, then mark what is
      // left with the failure, so the dataset does not stay "building" with candidates nobody will decide.
      const error = describeFailure(err);
      await CancellationScope.nonCancellable(async () => {
        for (const scope of state.inFlightHandles()) scope.cancel();
        await condition(() => state.settled(true));
        progress.status = 'failed';
        progress.stopReason = 'failed';
        progress.batchesInFlight = 0;
        progress.error = `${error.code}: ${error.message}`;
        await finalizeBuild({ workflowId, datasetId: build.datasetId, buildId: build.buildId, status: 'failed', progress: { ...progress }, error: progress.error });
        upsertSearchAttributes([{ key: STAGE, value: 'failed' }, { key: ACCEPTED, value: progress.accepted }]);
      });
    }
    throw err;
  }

  progress.status = 'completed';
  progress.batchesInFlight = 0;
  const counted = await finalizeBuild({ workflowId, datasetId: build.datasetId, buildId: build.buildId, status: 'completed', progress: { ...progress } });
  // Batches cancelled while generating are counted only by their records (absent from older builds' histories).
  if (counted) Object.assign(progress, counted);
  upsertSearchAttributes([{ key: STAGE, value: 'completed' }]);
  await condition(allHandlersFinished);
  if (progress.accepted > progress.target) {
    // Cannot happen by construction; if it ever did, fail loudly rather than hand out a wrong dataset.
    throw ApplicationFailure.nonRetryable(`accepted ${progress.accepted} > target ${progress.target}`, 'InvariantViolated');
  }
  return progress;
}
