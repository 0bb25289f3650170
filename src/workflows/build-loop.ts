// The state of one buildDataset run and every decision its loop makes: what to launch and with which inputs, what
// a finished batch and an acceptance add to the progress, when to cancel batches, why the build stops. No Temporal
// here: build.ts wires this to the handlers, the activities and the cancellation scopes, and the decisions are unit
// tested on their own (tests/unit/workflows/build-loop.test.ts).
import type { BuildProgress, StopReason } from './build-input';
import type { AcceptSummary, BatchArgs, BatchSummary, BuildSettings } from './build-settings';
import { acceptanceId, batchId } from './ids';
import { decideLaunch, defaultPrior, NO_EVIDENCE, withAcceptance, withProcessedBatch, type LaunchEvidence, type PlannedBatch } from './launch-policy';

/** Bounds one acceptance's work (and its activity input) when many batches are ready at once. */
const MAX_BATCHES_PER_ACCEPTANCE = 16;
/** Batches accepted before their yield is trusted to stop launching near the target. */
const MIN_BATCHES_FOR_YIELD = 3;
/** Launching stops when the batches under way would yield this many times what is still missing. */
const YIELD_MARGIN = 1.3;

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

/** The acceptBatch activity's input for one acceptance. */
export interface AcceptanceStart {
  workflowId: string;
  batchIds: string[];
  settings: BuildSettings;
  acceptanceId: string;
  target: number;
  remaining: number;
  progress: BuildProgress;
}

/** A batch under way: how to stop it, and the source items it was given (absent: a full batch of the old sizing). */
interface BatchInFlight {
  cancel: () => void;
  sourceItems?: number;
}

/**
 * One run of buildDataset, between the workflow's awaits: the workflow asks it what to do, does it (launches,
 * cancels, accepts, waits) and tells it what happened. The handlers set `paused`, `targetChangesWaiting` and the
 * progress's target and concurrency directly.
 */
export class BuildLoop {
  /** What the `progress` query answers (through `view()`) and what continue-as-new carries. */
  readonly progress: BuildProgress;
  cursor: BuildCarryOver['cursor'];
  /** Launch nothing new until resumed. */
  paused: boolean;
  evidence: LaunchEvidence;
  /** An acceptance is running. */
  accepting = false;
  /** The build's settings are resolved and `accepted` counts what the dataset already held. */
  prepared: boolean;
  /** setTarget updates waiting for the running acceptance to end; no acceptance starts while one waits. */
  targetChangesWaiting = 0;
  /** The first failure of a batch or an acceptance: the loop ends with it. */
  failure: unknown;
  /** Processed batches waiting for acceptance, in the order they finished. */
  readonly readyToAccept: BatchSummary[] = [];

  private settings: BuildSettings | undefined;
  private readonly inFlight = new Map<string, BatchInFlight>();
  /** Batches the launch policy cancelled as no longer needed. */
  private readonly withdrawn = new Set<string>();
  /** Batches in the acceptance running now, and their candidates. */
  private acceptingBatches = 0;
  private acceptingCandidates = 0;

  constructor(
    input: { datasetId: string; target: number; concurrency?: number },
    private readonly workflowId: string,
    carried?: BuildCarryOver,
  ) {
    this.settings = carried?.settings;
    this.progress = carried?.progress ?? {
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
    this.cursor = carried?.cursor ?? { round: 1, index: 0 };
    this.paused = carried?.paused ?? false;
    this.evidence = carried?.evidence ?? NO_EVIDENCE;
    if (carried) this.progress.continuedAsNew++;
    this.prepared = carried !== undefined;
  }

  /** The build's settings, once prepared. */
  get build(): BuildSettings {
    if (!this.settings) throw new Error('the build has no settings before prepareBuild has resolved them');
    return this.settings;
  }

  /** Batch and acceptance ids start with the build's id (the workflow id, for builds from before epochs). */
  private get idOwner(): string {
    return this.build.buildId ?? this.workflowId;
  }

  private get lastRound(): number {
    return (this.build.firstRound ?? 1) - 1 + this.build.maxRounds;
  }

  /** Takes the settings prepareBuild resolved (a fresh build only; a continued one carries them). */
  prepare(settings: BuildSettings): void {
    const { progress } = this;
    this.settings = settings;
    // Live changes that arrived while preparing win over the input's values.
    if (!progress.concurrency) progress.concurrency = settings.concurrency;
    // The target counts what the dataset already holds; rounds go on from where earlier builds stopped.
    if (settings.acceptedBefore !== undefined) {
      progress.acceptedBefore = settings.acceptedBefore;
      progress.accepted = settings.acceptedBefore;
      progress.buildId = settings.buildId;
      progress.acceptances = 0;
    }
    if (settings.firstRound !== undefined) this.cursor = { round: settings.firstRound, index: 0 };
    this.prepared = true;
  }

  // ---- live controls ------------------------------------------------------------------------------

  /** What the outside sees: the progress, with a paused build reported as paused. */
  view(): BuildProgress {
    return { ...this.progress, status: this.paused && this.progress.status === 'running' ? 'paused' : this.progress.status };
  }

  /** Why a new target cannot be taken now, if it cannot. */
  targetRefusal(target: unknown): string | undefined {
    if (!Number.isInteger(target) || (target as number) < 1) return 'target must be a whole number of at least 1';
    if ((target as number) < this.progress.accepted) return `target ${target} is below the ${this.progress.accepted} records already accepted`;
    if (this.progress.stopReason) return `the build has already stopped (${this.progress.stopReason})`;
    return undefined;
  }

  /** Why a new concurrency cannot be taken, if it cannot. */
  static concurrencyRefusal(concurrency: unknown): string | undefined {
    const c = concurrency as number;
    if (!Number.isInteger(c) || c < 1 || c > 64) return 'concurrency must be a whole number from 1 to 64';
    return undefined;
  }

  /** A new target may be applied: the build is prepared and no acceptance (started under the old target) runs. */
  mayChangeTarget(): boolean {
    return this.prepared && !this.accepting;
  }

  // ---- launching ----------------------------------------------------------------------------------

  remaining(): number {
    return this.progress.target - this.progress.accepted;
  }

  budgetSpent(): boolean {
    const { tokenBudget } = this.build;
    return tokenBudget > 0 && this.progress.tokensIn + this.progress.tokensOut >= tokenBudget;
  }

  roundsDone(): boolean {
    return this.cursor.round > this.lastRound;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  // Near the end, batches already under way will probably meet the target on their own: launching more would
  // only generate surplus. "Probably" uses the yield of the batches accepted so far, with a margin.
  likelyEnoughUnderWay(): boolean {
    const { progress } = this;
    if (progress.batchesDone < MIN_BATCHES_FOR_YIELD) return false;
    const yieldPerBatch = (progress.accepted - (progress.acceptedBefore ?? 0)) / progress.batchesDone;
    return (this.inFlight.size + this.readyToAccept.length + this.acceptingBatches) * yieldPerBatch >= this.remaining() * YIELD_MARGIN;
  }

  /** Nothing forbids another batch; `continueAsNewSuggested`: this run's history is long enough to hand over. */
  canLaunch(continueAsNewSuggested: boolean): boolean {
    return (
      !this.paused && !this.failure && !this.progress.stopReason && this.remaining() > 0 && !this.budgetSpent() && !this.roundsDone() && !continueAsNewSuggested
    );
  }

  /** Bounded at both stages: at most `concurrency` batches processing and as many waiting for acceptance. */
  hasRoom(): boolean {
    return this.inFlight.size < this.progress.concurrency && this.readyToAccept.length < this.progress.concurrency;
  }

  /** A batch the launch policy planned may be launched now. */
  mayLaunchPlannedBatch(continueAsNewSuggested: boolean): boolean {
    return this.canLaunch(continueAsNewSuggested) && this.hasRoom();
  }

  /** The old sizing (full batches up to the concurrency): one more batch may be launched. */
  mayLaunchFullBatch(continueAsNewSuggested: boolean): boolean {
    return this.canLaunch(continueAsNewSuggested) && !this.likelyEnoughUnderWay() && this.hasRoom();
  }

  /**
   * The launch policy's decision for the records still missing, given what is under way and the yield seen; none
   * while paused, failed, stopped or with the target met.
   */
  launchDecision(): ReturnType<typeof decideLaunch> | undefined {
    const { progress, build } = this;
    if (this.paused || this.failure || progress.stopReason || this.remaining() <= 0) return undefined;
    let inFlightSourceItems = 0;
    for (const [id, batch] of this.inFlight) if (batch.sourceItems !== undefined && !this.withdrawn.has(id)) inFlightSourceItems += batch.sourceItems;
    return decideLaunch({
      target: progress.target,
      accepted: progress.accepted,
      inFlightSourceItems,
      inFlightBatches: this.inFlight.size,
      pendingCandidates: this.readyToAccept.reduce((n, b) => n + b.candidates, 0) + this.acceptingCandidates,
      evidence: this.evidence,
      prior: build.launchPrior ?? defaultPrior(build.scoring.mode),
      concurrency: progress.concurrency,
      batchSize: build.batchSize,
      itemsPerSource: build.itemsPerChunk,
    });
  }

  /**
   * Launches the next batch: advances the cursor, counts the batch in flight (`cancel` stops it) and returns the
   * processBatch input. `plan`: a batch sized by what is missing; absent: the next full batch.
   */
  launch(plan: PlannedBatch | undefined, cancel: () => void): BatchArgs {
    const { build, progress } = this;
    const { round, index } = this.cursor;
    const id = batchId(this.idOwner, round, index);
    let slice: { sourceOffset: number; sourceCount: number } | undefined;
    if (plan) {
      // Batches of any size walk the sources in order; a round ends where the sources (its full batches) do.
      const sources = Math.min(build.chunkCount + build.seedCount, build.batchesPerRound * build.batchSize);
      const offset = this.cursor.offset ?? index * build.batchSize;
      slice = { sourceOffset: offset, sourceCount: Math.min(plan.sourceItems, sources - offset) };
      const next = offset + slice.sourceCount;
      this.cursor = next >= sources ? { round: round + 1, index: 0, offset: 0 } : { round, index: index + 1, offset: next };
    } else {
      this.cursor = index + 1 >= build.batchesPerRound ? { round: round + 1, index: 0 } : { round, index: index + 1 };
    }
    const batchSettings = { ...build, target: progress.target, ...(plan ? { itemsPerChunk: plan.itemsPerSource } : {}) };
    this.inFlight.set(id, { cancel, sourceItems: slice?.sourceCount });
    progress.batchesInFlight = this.inFlight.size;
    progress.round = round;
    return { workflowId: this.workflowId, batchId: id, round, index, settings: batchSettings, ...slice };
  }

  /** A batch finished: its counts join the progress and the evidence, and it waits for acceptance. */
  batchProcessed(id: string, summary: BatchSummary): void {
    const { progress } = this;
    const sourceItems = this.inFlight.get(id)?.sourceItems;
    this.inFlight.delete(id);
    if (sourceItems !== undefined)
      this.evidence = withProcessedBatch(this.evidence, { sourceItems, generated: summary.generated, candidates: summary.candidates });
    progress.batchesInFlight = this.inFlight.size;
    progress.generated += summary.generated;
    progress.parseFailures += summary.parseFailures;
    progress.tokensIn += summary.tokensIn;
    progress.tokensOut += summary.tokensOut;
    for (const [reason, n] of Object.entries(summary.rejected)) progress.rejected[reason] = (progress.rejected[reason] ?? 0) + n;
    this.readyToAccept.push(summary);
  }

  /** A batch ended without a summary; `cancelled`: its cancellation had been requested. */
  batchFailed(id: string, err: unknown, cancelled: boolean): void {
    this.inFlight.delete(id);
    this.progress.batchesInFlight = this.inFlight.size;
    // A batch we cancelled because the target was met, or would very probably be met without it, is not a
    // failure; its candidates end as surplus. (Cancelled, or timed out on a dead worker after the cancel
    // request: either way it is no failure.)
    if (!(cancelled && (this.remaining() <= 0 || this.withdrawn.has(id)))) this.fail(err);
  }

  /** Records the first failure; later ones add nothing. */
  fail(err: unknown): void {
    this.failure ??= err;
  }

  /** Cancels the batches still generating that the launch policy has not withdrawn yet: they can only add surplus. */
  withdrawInFlight(): void {
    for (const [id, batch] of this.inFlight) {
      if (this.withdrawn.has(id)) continue;
      this.withdrawn.add(id);
      batch.cancel();
    }
  }

  /** Cancels every batch still generating. */
  cancelInFlight(): void {
    for (const batch of this.inFlight.values()) batch.cancel();
  }

  /** The target is met and nothing waits for acceptance: batches still generating can only add surplus. */
  targetMetAndAccepted(): boolean {
    return this.remaining() <= 0 && this.readyToAccept.length === 0 && !this.accepting;
  }

  // ---- acceptance ---------------------------------------------------------------------------------

  mayAccept(): boolean {
    return this.readyToAccept.length > 0 && !this.accepting && this.targetChangesWaiting === 0;
  }

  /**
   * Starts an acceptance of every batch ready now, in the order they finished (one acceptance keeps up however
   * fast batches come), and returns the acceptBatch input.
   */
  startAcceptance(): AcceptanceStart {
    const { progress } = this;
    this.accepting = true;
    const group = this.readyToAccept.splice(0, MAX_BATCHES_PER_ACCEPTANCE);
    this.acceptingBatches = group.length;
    this.acceptingCandidates = group.reduce((n, b) => n + b.candidates, 0);
    const ordinal = (progress.acceptances ?? 0) + 1;
    progress.acceptances = ordinal;
    return {
      workflowId: this.workflowId,
      batchIds: group.map((b) => b.batchId),
      settings: this.build,
      acceptanceId: acceptanceId(this.idOwner, ordinal),
      target: progress.target,
      remaining: Math.max(0, this.remaining()),
      progress: { ...progress },
    };
  }

  /** The running acceptance committed: what it accepted, its surplus and duplicates join the progress and the evidence. */
  acceptanceCommitted(result: AcceptSummary): void {
    const { progress } = this;
    progress.accepted = result.acceptedTotal ?? progress.accepted + result.accepted;
    progress.surplus += result.surplus;
    for (const [reason, n] of Object.entries(result.duplicates)) progress.rejected[reason] = (progress.rejected[reason] ?? 0) + n;
    progress.batchesDone += this.acceptingBatches;
    this.evidence = withAcceptance(this.evidence, { candidates: this.acceptingCandidates, kept: result.accepted + result.surplus });
  }

  /** The running acceptance ended, committed or not. */
  acceptanceEnded(): void {
    this.accepting = false;
    this.acceptingBatches = 0;
    this.acceptingCandidates = 0;
  }

  // ---- ending -------------------------------------------------------------------------------------

  /** No batch generating and no acceptance running: nothing is writing any more. */
  nothingRunning(): boolean {
    return this.inFlight.size === 0 && !this.accepting;
  }

  /** No batch generating, none waiting for acceptance, no acceptance running. */
  isIdle(): boolean {
    return this.inFlight.size === 0 && this.readyToAccept.length === 0 && !this.accepting;
  }

  /**
   * Idle and free to stop or continue as new. Paused means "launch nothing new"; a paused build whose target is met
   * has nothing left to do when `pausedCompletesAtTarget()` (asked only in that case) allows it.
   */
  mayEnd(pausedCompletesAtTarget: () => boolean): boolean {
    return this.isIdle() && (!this.paused || (this.remaining() <= 0 && pausedCompletesAtTarget()));
  }

  /** Why the build stops now, if it does (recorded in the progress). */
  settleStopReason(): StopReason | undefined {
    const { progress } = this;
    if (this.remaining() <= 0) progress.stopReason = 'target_reached';
    else if (this.budgetSpent()) progress.stopReason = 'token_budget';
    else if (this.roundsDone()) progress.stopReason = this.build.batchesPerRound > 0 ? 'max_rounds' : 'sources_exhausted';
    return progress.stopReason;
  }

  /** What the next run needs to go on where this one stops. */
  carryOver(): BuildCarryOver {
    return { settings: this.build, progress: this.progress, cursor: this.cursor, paused: this.paused, evidence: this.evidence };
  }

  /** A condition that turns true once anything the loop decides on changes from what it is now (or a failure arrives). */
  changedSinceNow(): () => boolean {
    const before = {
      ready: this.readyToAccept.length,
      inFlight: this.inFlight.size,
      accepting: this.accepting,
      paused: this.paused,
      target: this.progress.target,
      conc: this.progress.concurrency,
      targetChangesWaiting: this.targetChangesWaiting,
    };
    return () =>
      this.readyToAccept.length !== before.ready ||
      this.accepting !== before.accepting ||
      this.inFlight.size !== before.inFlight ||
      this.paused !== before.paused ||
      this.progress.target !== before.target ||
      this.progress.concurrency !== before.conc ||
      this.targetChangesWaiting !== before.targetChangesWaiting ||
      this.failure !== undefined;
  }

  /** The build ended at a stop reason: completed, nothing in flight. */
  complete(): void {
    this.progress.status = 'completed';
    this.progress.batchesInFlight = 0;
  }

  /** The build was cancelled (its batches and acceptance may still be stopping). */
  cancelled(): void {
    this.progress.status = 'cancelled';
    this.progress.stopReason = 'cancelled';
  }

  /** Every batch has stopped. */
  allBatchesStopped(): void {
    this.progress.batchesInFlight = 0;
  }

  /** The build failed (`error`: code and message), once every batch and acceptance has stopped. */
  failed(error: string): void {
    this.progress.status = 'failed';
    this.progress.stopReason = 'failed';
    this.progress.batchesInFlight = 0;
    this.progress.error = error;
  }
}
