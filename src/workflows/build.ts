// buildDataset: generate → score → filter (one fat activity per batch, several batches in flight) → dedupe
// and accept (one batch at a time, so "exactly target" holds) until exactly `target` records are accepted,
// max rounds pass, the token budget is spent, or the build is cancelled. Records never enter this history:
// activities read and write PostgreSQL and LanceDB and return counts.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
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
import type { AcceptSummary, BatchSummary, BuildSettings } from './build-settings';
import { acceptanceId, batchId } from './ids';
import { decideLaunch, defaultPrior, NO_EVIDENCE, withAcceptance, withProcessedBatch, type LaunchEvidence, type PlannedBatch } from './launch-policy';
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
} as const;

/** Bounds one acceptance's work (and its activity input) when many batches are ready at once. */
const MAX_BATCHES_PER_ACCEPTANCE = 16;
/** Batches accepted before their yield is trusted to stop launching near the target. */
const MIN_BATCHES_FOR_YIELD = 3;
/** Launching stops when the batches under way would yield this many times what is still missing. */
const YIELD_MARGIN = 1.3;

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

/** What survives continue-as-new: small, and enough to go on exactly where the last run stopped. */
export interface BuildCarryOver {
  settings: BuildSettings;
  progress: BuildProgress;
  /**
   * The next batch to launch: round (1-based), index within the round and, for batches sized by what is missing,
   * the offset of its first source item in the round (absent: index × batch size, all batches full).
   */
  cursor: { round: number; index: number; offset?: number };
  paused: boolean;
  /** What the launch policy has observed of this build's yield. */
  evidence?: LaunchEvidence;
}

export async function buildDataset(raw: BuildInput, carried?: BuildCarryOver): Promise<BuildProgress> {
  const input = parseWorkflowInput(buildInputSchema, raw, 'buildDataset');
  const workflowId = workflowInfo().workflowId;

  // Handlers are registered before the first await, so `progress` answers from the very start.
  let settings: BuildSettings | undefined = carried?.settings;
  const progress: BuildProgress = carried?.progress ?? {
    datasetId: input.datasetId,
    status: 'running',
    target: input.target,
    accepted: 0,
    generated: 0,
    parseFailures: 0,
    rejected: {},
    surplus: 0,
    round: 1,
    batchesDone: 0,
    batchesInFlight: 0,
    tokensIn: 0,
    tokensOut: 0,
    concurrency: input.concurrency ?? 0,
    continuedAsNew: 0,
  };
  let cursor: BuildCarryOver['cursor'] = carried?.cursor ?? { round: 1, index: 0 };
  let paused = carried?.paused ?? false;
  let evidence = carried?.evidence ?? NO_EVIDENCE;
  if (carried) progress.continuedAsNew++;
  /** An acceptance is running (declared before the handlers, which wait on it). */
  let accepting = false;
  /** The build's settings are resolved and `accepted` counts what the dataset already held. */
  let prepared = carried !== undefined;

  // ---- live controls ------------------------------------------------------------------------------
  /** What the outside sees: the progress, with a paused build reported as paused. */
  const view = (): BuildProgress => ({ ...progress, status: paused && progress.status === 'running' ? 'paused' : progress.status });
  setHandler(progressQuery, view);
  setHandler(pauseSignal, () => {
    paused = true;
    upsertSearchAttributes([{ key: STAGE, value: 'paused' }]);
  });
  setHandler(resumeSignal, () => {
    paused = false;
    upsertSearchAttributes([{ key: STAGE, value: 'building' }]);
  });
  /** Why a new target cannot be taken now, if it cannot. */
  const targetRefusal = (target: unknown): string | undefined => {
    if (!Number.isInteger(target) || (target as number) < 1) return 'target must be a whole number of at least 1';
    if ((target as number) < progress.accepted) return `target ${target} is below the ${progress.accepted} records already accepted`;
    if (progress.stopReason) return `the build has already stopped (${progress.stopReason})`;
    return undefined;
  };
  /** setTarget updates waiting for the running acceptance to end; no acceptance starts while one waits. */
  let targetChangesWaiting = 0;
  setHandler(
    setTargetUpdate,
    async (arg) => {
      const target = typeof arg === 'number' ? arg : arg.target;
      if (patched(PATCH.setTargetBetweenAcceptances)) {
        // An acceptance started under the old target may still accept up to it: apply the new one only after it,
        // and check again against what it accepted.
        targetChangesWaiting++;
        try {
          await condition(() => prepared && !accepting);
        } finally {
          targetChangesWaiting--;
        }
        const refusal = targetRefusal(target);
        if (refusal) throw ApplicationFailure.create({ type: 'InvalidTarget', message: refusal, nonRetryable: true });
      }
      progress.target = target;
      return view();
    },
    {
      validator: (arg) => {
        const refusal = targetRefusal(typeof arg === 'number' ? arg : arg?.target);
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(
    setConcurrencyUpdate,
    (arg) => {
      progress.concurrency = typeof arg === 'number' ? arg : arg.concurrency;
      return view();
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
    settings = await failWithCause(() => prepareBuild({ input, workflowId, runKey: workflowInfo().firstExecutionRunId }));
    // Live changes that arrived while preparing win over the input's values.
    if (!progress.concurrency) progress.concurrency = settings.concurrency;
    // The target counts what the dataset already holds; rounds go on from where earlier builds stopped.
    if (settings.acceptedBefore !== undefined) {
      progress.acceptedBefore = settings.acceptedBefore;
      progress.accepted = settings.acceptedBefore;
      progress.buildId = settings.buildId;
      progress.acceptances = 0;
    }
    if (settings.firstRound !== undefined) cursor = { round: settings.firstRound, index: 0 };
    prepared = true;
  }
  const build = settings!;
  /** Batch and acceptance ids start with the build's id (the workflow id, for builds from before epochs). */
  const idOwner = build.buildId ?? workflowId;
  const lastRound = (build.firstRound ?? 1) - 1 + build.maxRounds;
  const { processBatch, acceptBatch } = batchActivities(build.heartbeatTimeoutMs);
  // Launches sized by the records still missing (launch-policy.ts) instead of by concurrency; builds started
  // before keep launching full batches up to the concurrency, as their histories recorded.
  const launchForMissing = patched(PATCH.launchForMissing);

  // ---- the pipeline ---------------------------------------------------------------------------------
  const inFlight = new Map<string, CancellationScope>();
  /** Source items of each batch in flight; batches the launch policy cancelled as no longer needed. */
  const sourceItemsInFlight = new Map<string, number>();
  const withdrawn = new Set<string>();
  const readyToAccept: BatchSummary[] = [];
  /** Batches in the acceptance running now, and their candidates. */
  let acceptingBatches = 0;
  let acceptingCandidates = 0;
  let failure: unknown;

  const remaining = () => progress.target - progress.accepted;
  const budgetSpent = () => build.tokenBudget > 0 && progress.tokensIn + progress.tokensOut >= build.tokenBudget;
  const roundsDone = () => cursor.round > lastRound;
  // Near the end, batches already under way will probably meet the target on their own: launching more would
  // only generate surplus. "Probably" uses the yield of the batches accepted so far, with a margin.
  const likelyEnoughUnderWay = () => {
    if (progress.batchesDone < MIN_BATCHES_FOR_YIELD) return false;
    const yieldPerBatch = (progress.accepted - (progress.acceptedBefore ?? 0)) / progress.batchesDone;
    return (inFlight.size + readyToAccept.length + acceptingBatches) * yieldPerBatch >= remaining() * YIELD_MARGIN;
  };
  const canLaunch = () =>
    !paused && !failure && !progress.stopReason && remaining() > 0 && !budgetSpent() && !roundsDone() && !workflowInfo().continueAsNewSuggested;
  const mayLaunch = () => canLaunch() && !likelyEnoughUnderWay();

  const launch = (plan?: PlannedBatch) => {
    const { round, index } = cursor;
    const id = batchId(idOwner, round, index);
    let slice: { sourceOffset: number; sourceCount: number } | undefined;
    if (plan) {
      // Batches of any size walk the sources in order; a round ends where the sources (its full batches) do.
      const sources = Math.min(build.chunkCount + build.seedCount, build.batchesPerRound * build.batchSize);
      const offset = cursor.offset ?? index * build.batchSize;
      slice = { sourceOffset: offset, sourceCount: Math.min(plan.sourceItems, sources - offset) };
      const next = offset + slice.sourceCount;
      cursor = next >= sources ? { round: round + 1, index: 0, offset: 0 } : { round, index: index + 1, offset: next };
      sourceItemsInFlight.set(id, slice.sourceCount);
    } else {
      cursor = index + 1 >= build.batchesPerRound ? { round: round + 1, index: 0 } : { round, index: index + 1 };
    }
    const batchSettings = { ...build, target: progress.target, ...(plan ? { itemsPerChunk: plan.itemsPerSource } : {}) };
    const scope = new CancellationScope();
    inFlight.set(id, scope);
    progress.batchesInFlight = inFlight.size;
    progress.round = round;
    scope
      .run(() => processBatch({ workflowId, batchId: id, round, index, settings: batchSettings, ...slice }))
      .then(
        (summary) => {
          inFlight.delete(id);
          const sourceItems = sourceItemsInFlight.get(id);
          sourceItemsInFlight.delete(id);
          if (sourceItems !== undefined) evidence = withProcessedBatch(evidence, { sourceItems, generated: summary.generated, candidates: summary.candidates });
          progress.batchesInFlight = inFlight.size;
          progress.generated += summary.generated;
          progress.parseFailures += summary.parseFailures;
          progress.tokensIn += summary.tokensIn;
          progress.tokensOut += summary.tokensOut;
          for (const [reason, n] of Object.entries(summary.rejected)) progress.rejected[reason] = (progress.rejected[reason] ?? 0) + n;
          readyToAccept.push(summary);
        },
        (err) => {
          inFlight.delete(id);
          sourceItemsInFlight.delete(id);
          progress.batchesInFlight = inFlight.size;
          // A batch we cancelled because the target was met, or would very probably be met without it, is not a
          // failure; its candidates end as surplus. (Cancelled, or timed out on a dead worker after the cancel
          // request: either way it is no failure.)
          if (!(scope.consideredCancelled && (remaining() <= 0 || withdrawn.has(id)))) failure ??= err;
        },
      );
  };

  // Acceptance is serialized: each batch is deduplicated against everything accepted before it and accepts
  // at most what is still missing, so the dataset ends with exactly `target` records. It runs beside the
  // launch loop, not in it: a batch that finishes while another is being accepted is replaced at once, so
  // the endpoint never waits for a dedup step.
  const acceptNext = async () => {
    // Every batch ready now, in the order they finished: one acceptance keeps up however fast batches come.
    const group = readyToAccept.splice(0, MAX_BATCHES_PER_ACCEPTANCE);
    acceptingBatches = group.length;
    acceptingCandidates = group.reduce((n, b) => n + b.candidates, 0);
    try {
      const ordinal = (progress.acceptances ?? 0) + 1;
      progress.acceptances = ordinal;
      const accept = () =>
        acceptBatch({
          workflowId,
          batchIds: group.map((b) => b.batchId),
          settings: build,
          acceptanceId: acceptanceId(idOwner, ordinal),
          target: progress.target,
          remaining: Math.max(0, remaining()),
          progress: { ...progress },
        });
      // Once started, an acceptance commits or fails on its own: a cancel waits for it rather than abandoning a
      // transaction whose records would then be counted by nobody.
      const result: AcceptSummary = patched(PATCH.acceptanceSurvivesCancel) ? await CancellationScope.nonCancellable(accept) : await accept();
      progress.accepted = result.acceptedTotal ?? progress.accepted + result.accepted;
      progress.surplus += result.surplus;
      for (const [reason, n] of Object.entries(result.duplicates)) progress.rejected[reason] = (progress.rejected[reason] ?? 0) + n;
      progress.batchesDone += group.length;
      evidence = withAcceptance(evidence, { candidates: acceptingCandidates, kept: result.accepted + result.surplus });
      upsertSearchAttributes([{ key: ACCEPTED, value: progress.accepted }]);
    } finally {
      accepting = false;
      acceptingBatches = 0;
      acceptingCandidates = 0;
    }
  };
  const mayAccept = () => readyToAccept.length > 0 && !accepting && targetChangesWaiting === 0;
  const startAccepting = () => {
    accepting = true;
    acceptNext().catch((err) => {
      failure ??= err;
    });
  };

  // Asks the launch policy what the records still missing need, given what is under way and the yield seen.
  const launchWhatIsMissing = () => {
    if (paused || failure || progress.stopReason || remaining() <= 0) return;
    let inFlightSourceItems = 0;
    for (const [id, n] of sourceItemsInFlight) if (!withdrawn.has(id)) inFlightSourceItems += n;
    const decision = decideLaunch({
      target: progress.target,
      accepted: progress.accepted,
      inFlightSourceItems,
      inFlightBatches: inFlight.size,
      pendingCandidates: readyToAccept.reduce((n, b) => n + b.candidates, 0) + acceptingCandidates,
      evidence,
      prior: build.launchPrior ?? defaultPrior(build.scoring.mode),
      concurrency: progress.concurrency,
      batchSize: build.batchSize,
      itemsPerSource: build.itemsPerChunk,
    });
    if (decision.cancelInFlight) {
      for (const [id, scope] of inFlight) {
        if (withdrawn.has(id)) continue;
        withdrawn.add(id);
        scope.cancel();
      }
    }
    for (const plan of decision.launch) {
      if (!canLaunch() || inFlight.size >= progress.concurrency || readyToAccept.length >= progress.concurrency) break;
      launch(plan);
    }
  };

  try {
    for (;;) {
      // Bounded at both stages: at most `concurrency` batches processing and as many waiting for acceptance,
      // so a slow acceptance (which takes every ready batch at once) does not leave the endpoint idle, and a
      // stalled one does not pile up work.
      if (launchForMissing) launchWhatIsMissing();
      else while (mayLaunch() && inFlight.size < progress.concurrency && readyToAccept.length < progress.concurrency) launch();
      if (failure) throw failure;
      if (mayAccept()) startAccepting();
      if (remaining() <= 0 && readyToAccept.length === 0 && !accepting) {
        // The target is met: batches still generating can only add surplus, so stop them now.
        for (const scope of inFlight.values()) scope.cancel();
      }
      const idle = inFlight.size === 0 && readyToAccept.length === 0 && !accepting;
      // Paused means "launch nothing new"; a paused build whose target is met has nothing left to do.
      if (idle && (!paused || (remaining() <= 0 && patched(PATCH.pausedBuildCompletesAtTarget)))) {
        if (remaining() <= 0) progress.stopReason = 'target_reached';
        else if (budgetSpent()) progress.stopReason = 'token_budget';
        else if (roundsDone()) progress.stopReason = build.batchesPerRound > 0 ? 'max_rounds' : 'sources_exhausted';
        if (progress.stopReason) break;
        if (workflowInfo().continueAsNewSuggested) {
          await condition(allHandlersFinished);
          await continueAsNew<typeof buildDataset>(raw, { settings: build, progress, cursor, paused, evidence });
        }
      }
      const before = {
        ready: readyToAccept.length,
        inFlight: inFlight.size,
        accepting,
        paused,
        target: progress.target,
        conc: progress.concurrency,
        targetChangesWaiting,
      };
      await condition(
        () =>
          readyToAccept.length !== before.ready ||
          accepting !== before.accepting ||
          inFlight.size !== before.inFlight ||
          paused !== before.paused ||
          progress.target !== before.target ||
          progress.concurrency !== before.conc ||
          targetChangesWaiting !== before.targetChangesWaiting ||
          failure !== undefined,
      );
    }
  } catch (err) {
    if (isCancellation(err)) {
      progress.status = 'cancelled';
      progress.stopReason = 'cancelled';
      // Cleanup must run even though the workflow is being cancelled: keep what was accepted, mark the rest.
      await CancellationScope.nonCancellable(async () => {
        // The batches got the cancellation too; finalize only once they have stopped writing, and once a running
        // acceptance has committed (its records count).
        if (patched(PATCH.acceptanceSurvivesCancel)) await condition(() => inFlight.size === 0 && !accepting);
        else await condition(() => inFlight.size === 0);
        progress.batchesInFlight = 0;
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
        for (const scope of inFlight.values()) scope.cancel();
        await condition(() => inFlight.size === 0 && !accepting);
        progress.status = 'failed';
        progress.stopReason = 'failed';
        progress.batchesInFlight = 0;
        progress.error = `${error.code}: ${error.message}`;
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

  progress.status = 'completed';
  progress.batchesInFlight = 0;
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
