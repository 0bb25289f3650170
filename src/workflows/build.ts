// buildDataset: generate → score → filter (one fat activity per batch, several batches in flight) → dedupe
// and accept (one batch at a time, so "exactly target" holds) until exactly `target` records are accepted,
// max rounds pass, the token budget is spent, or the build is cancelled. Records never enter this history:
// activities read and write PostgreSQL and LanceDB and return counts. The loop's state and decisions live in
// BuildLoop (build-loop.ts); this file wires them to the handlers, the activities and the cancellation scopes.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { BuildActivities } from '../activities/build';
import { routedActivities } from './routed-activities';
import { buildInputSchema, type BuildInput, type BuildProgress } from './build-input';
import type { AcceptSummary } from './build-settings';
import { BuildLoop, type AcceptanceStart, type BuildCarryOver } from './build-loop';
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
  /** A build that met its target finalizes as completed even if a cancel arrives while it does. */
  completionSurvivesCancel: 'completion-survives-cancel',
  /**
   * continueAsNew() ends a run by throwing: the build goes on in the next run, so the failure handling must not run.
   * Before this gate every continue-as-new finalized the dataset as failed (Stage=failed, the writer lease released)
   * and spent an activity doing it, long enough for a pause or cancel to land in the old run and be lost.
   */
  continueAsNewIsNotAFailure: 'continue-as-new-is-not-a-failure',
} as const;

const { prepareBuild, finalizeBuild } = routedActivities<BuildActivities>({
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
  const { processBatch } = routedActivities<BuildActivities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout,
    // A cancelled batch (the target was met) settles only once the activity has really stopped: with the default
    // TRY_CANCEL the workflow went on to finalizeBuild while the batch was still writing candidates, which then
    // stayed candidates for ever (found by tests/chaos/llm-faults.test.ts).
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
  });
  const { acceptBatch } = routedActivities<BuildActivities>({
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout,
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
  });
  return { processBatch, acceptBatch };
}

export async function buildDataset(raw: BuildInput, carried?: BuildCarryOver): Promise<BuildProgress> {
  const input = parseWorkflowInput(buildInputSchema, raw, 'buildDataset');
  const workflowId = workflowInfo().workflowId;

  // Handlers are registered before the first await, so `progress` answers from the very start.
  const loop = new BuildLoop(input, workflowId, carried);
  const { progress } = loop;

  // ---- live controls ------------------------------------------------------------------------------
  setHandler(progressQuery, () => loop.view());
  setHandler(pauseSignal, () => {
    loop.paused = true;
    upsertSearchAttributes([{ key: STAGE, value: 'paused' }]);
  });
  setHandler(resumeSignal, () => {
    loop.paused = false;
    upsertSearchAttributes([{ key: STAGE, value: 'building' }]);
  });
  setHandler(
    setTargetUpdate,
    async (arg) => {
      const target = typeof arg === 'number' ? arg : arg.target;
      if (patched(PATCH.setTargetBetweenAcceptances)) {
        // An acceptance started under the old target may still accept up to it: apply the new one only after it,
        // and check again against what it accepted.
        loop.targetChangesWaiting++;
        try {
          await condition(() => loop.mayChangeTarget());
        } finally {
          loop.targetChangesWaiting--;
        }
        const refusal = loop.targetRefusal(target);
        if (refusal) throw ApplicationFailure.create({ type: 'InvalidTarget', message: refusal, nonRetryable: true });
      }
      progress.target = target;
      return loop.view();
    },
    {
      validator: (arg) => {
        const refusal = loop.targetRefusal(typeof arg === 'number' ? arg : arg?.target);
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(
    setConcurrencyUpdate,
    (arg) => {
      progress.concurrency = typeof arg === 'number' ? arg : arg.concurrency;
      return loop.view();
    },
    {
      validator: (arg) => {
        const refusal = BuildLoop.concurrencyRefusal(typeof arg === 'number' ? arg : arg?.concurrency);
        if (refusal) throw new Error(refusal);
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
    loop.prepare(await failWithCause(() => prepareBuild({ input, workflowId, runKey: workflowInfo().firstExecutionRunId })));
  }
  const build = loop.build;
  const { processBatch, acceptBatch } = batchActivities(build.heartbeatTimeoutMs);
  // Launches sized by the records still missing (launch-policy.ts) instead of by concurrency; builds started
  // before keep launching full batches up to the concurrency, as their histories recorded.
  const launchForMissing = patched(PATCH.launchForMissing);

  // ---- the pipeline ---------------------------------------------------------------------------------
  const launch = (plan?: PlannedBatch) => {
    const scope = new CancellationScope();
    const batch = loop.launch(plan, () => scope.cancel());
    scope
      .run(() => processBatch(batch))
      .then(
        (summary) => loop.batchProcessed(batch.batchId, summary),
        (err) => loop.batchFailed(batch.batchId, err, scope.consideredCancelled),
      );
  };

  // Acceptance is serialized: each batch is deduplicated against everything accepted before it and accepts
  // at most what is still missing, so the dataset ends with exactly `target` records. It runs beside the
  // launch loop, not in it: a batch that finishes while another is being accepted is replaced at once, so
  // the endpoint never waits for a dedup step.
  const acceptNext = async (acceptance: AcceptanceStart) => {
    try {
      const accept = () => acceptBatch(acceptance);
      // Once started, an acceptance commits or fails on its own: a cancel waits for it rather than abandoning a
      // transaction whose records would then be counted by nobody.
      const result: AcceptSummary = patched(PATCH.acceptanceSurvivesCancel) ? await CancellationScope.nonCancellable(accept) : await accept();
      loop.acceptanceCommitted(result);
      upsertSearchAttributes([{ key: ACCEPTED, value: progress.accepted }]);
    } finally {
      loop.acceptanceEnded();
    }
  };

  // Asks the launch policy what the records still missing need, given what is under way and the yield seen.
  const launchWhatIsMissing = () => {
    const decision = loop.launchDecision();
    if (!decision) return;
    if (decision.cancelInFlight) loop.withdrawInFlight();
    for (const plan of decision.launch) {
      if (!loop.mayLaunchPlannedBatch(workflowInfo().continueAsNewSuggested)) break;
      launch(plan);
    }
  };

  try {
    for (;;) {
      // Bounded at both stages: at most `concurrency` batches processing and as many waiting for acceptance,
      // so a slow acceptance (which takes every ready batch at once) does not leave the endpoint idle, and a
      // stalled one does not pile up work.
      if (launchForMissing) launchWhatIsMissing();
      else while (loop.mayLaunchFullBatch(workflowInfo().continueAsNewSuggested)) launch();
      if (loop.failure) throw loop.failure;
      if (loop.mayAccept()) acceptNext(loop.startAcceptance()).catch((err) => loop.fail(err));
      // The target is met: batches still generating can only add surplus, so stop them now.
      if (loop.targetMetAndAccepted()) loop.cancelInFlight();
      if (loop.mayEnd(() => patched(PATCH.pausedBuildCompletesAtTarget))) {
        if (loop.settleStopReason()) break;
        if (workflowInfo().continueAsNewSuggested) {
          await condition(allHandlersFinished);
          await continueAsNew<typeof buildDataset>(raw, loop.carryOver());
        }
      }
      await condition(loop.changedSinceNow());
    }
  } catch (err) {
    if (err instanceof ContinueAsNew && patched(PATCH.continueAsNewIsNotAFailure)) throw err;
    if (isCancellation(err)) {
      loop.cancelled();
      // Cleanup must run even though the workflow is being cancelled: keep what was accepted, mark the rest.
      await CancellationScope.nonCancellable(async () => {
        // The batches got the cancellation too; finalize only once they have stopped writing, and once a running
        // acceptance has committed (its records count).
        if (patched(PATCH.acceptanceSurvivesCancel)) await condition(() => loop.nothingRunning());
        else await condition(() => loop.inFlightCount === 0);
        loop.allBatchesStopped();
        await finalizeBuild({ workflowId, datasetId: build.datasetId, buildId: build.buildId, status: 'cancelled', progress: { ...progress } });
        upsertSearchAttributes([
          { key: STAGE, value: 'cancelled' },
          { key: ACCEPTED, value: progress.accepted },
        ]);
      });
      throw err;
    }
    if (patched(PATCH.failedBuildFinalizes)) {
      // A failed build still ends cleanly: stop the other batches, let a running acceptance commit, then mark what is
      // left with the failure, so the dataset does not stay "building" with candidates nobody will decide.
      const error = describeFailure(err);
      await CancellationScope.nonCancellable(async () => {
        loop.cancelInFlight();
        await condition(() => loop.nothingRunning());
        loop.failed(`${error.code}: ${error.message}`);
        await finalizeBuild({
          workflowId,
          datasetId: build.datasetId,
          buildId: build.buildId,
          status: 'failed',
          progress: { ...progress },
          error: progress.error,
        });
        upsertSearchAttributes([
          { key: STAGE, value: 'failed' },
          { key: ACCEPTED, value: progress.accepted },
        ]);
      });
    }
    throw err;
  }

  loop.complete();
  const finalizeCompleted = () =>
    finalizeBuild({ workflowId, datasetId: build.datasetId, buildId: build.buildId, status: 'completed', progress: { ...progress } });
  // The build is over: a cancel arriving now (say, while a killed worker's finalize attempt times out) must not
  // abandon the finalize, or the dataset would stay "building" with its writer lease held.
  const counted = patched(PATCH.completionSurvivesCancel) ? await CancellationScope.nonCancellable(finalizeCompleted) : await finalizeCompleted();
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
