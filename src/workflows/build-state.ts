// The state of one buildDataset run and every decision its loop makes: what to launch next, when a batch's end
// is a failure, what one acceptance takes, when the build is done and why. Pure (no Temporal calls, no I/O, no
// clock), so the workflow file only wires handlers and activities to it and the decisions can be unit-tested.
// `Handle` is whatever the workflow cancels a batch in flight with (a CancellationScope).
import type { BuildProgress, ParsedBuildInput } from './build-input';
import type { AcceptSummary, BatchSummary, BuildSettings } from './build-settings';
import { acceptanceId, batchId } from './ids';
import { decideLaunch, defaultPrior, NO_EVIDENCE, withAcceptance, withProcessedBatch, type LaunchDecision, type LaunchEvidence, type PlannedBatch } from './launch-policy';

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

/** A batch the state has just launched: what its processBatch activity is given. */
export interface LaunchedBatch {
  id: string;
  round: number;
  index: number;
  settings: BuildSettings;
  /** The batch's source items, for batches sized by what is missing (absent: the index-th full slice). */
  slice?: { sourceOffset: number; sourceCount: number };
}

/** The acceptance just begun: the batches it takes and what its acceptBatch activity is given besides them. */
export interface BegunAcceptance {
  batchIds: string[];
  acceptanceId: string;
  target: number;
  remaining: number;
  progress: BuildProgress;
}

interface InFlightBatch<Handle> {
  handle: Handle;
  /** Source items of a batch sized by the launch policy; absent for the full batches of older builds. */
  sourceItems?: number;
}

/** What the loop waits on: it runs again once any of these changes, or a failure arrives. */
type Snapshot = ReturnType<BuildState<unknown>['snapshot']>;

export class BuildState<Handle> {
  readonly progress: BuildProgress;
  cursor: BuildCarryOver['cursor'];
  paused: boolean;
  evidence: LaunchEvidence;
  /** An acceptance is running. */
  accepting = false;
  /** The build's settings are resolved and `accepted` counts what the dataset already held. */
  prepared: boolean;
  /** setTarget updates waiting for the running acceptance to end; no acceptance starts while one waits. */
  targetChangesWaiting = 0;
  /** The first failure of a batch or an acceptance: the loop throws it. */
  failure: unknown;
  private settings: BuildSettings | undefined;
  private readonly inFlight = new Map<string, InFlightBatch<Handle>>();
  /** Batches the launch policy cancelled as no longer needed. */
  private readonly withdrawn = new Set<string>();
  private readonly readyToAccept: BatchSummary[] = [];
  /** Batches in the acceptance running now, and their candidates. */
  private acceptingBatches = 0;
  private acceptingCandidates = 0;

  constructor(
    input: Pick<ParsedBuildInput, 'datasetId' | 'target' | 'concurrency'>,
    carried: BuildCarryOver | undefined,
    /** Whether Temporal suggests continuing as new (the history is long): no launch starts then. */
    private readonly continueAsNewSuggested: () => boolean,
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

  // ---- live controls ------------------------------------------------------------------------------

  /** What the outside sees: the progress, with a paused build reported as paused. */
  view(): BuildProgress {
    const { progress } = this;
    return { ...progress, status: this.paused && progress.status === 'running' ? 'paused' : progress.status };
  }

  /** Why a new target cannot be taken now, if it cannot. */
  targetRefusal(target: unknown): string | undefined {
    const { progress } = this;
    if (!Number.isInteger(target) || (target as number) < 1) return 'target must be a whole number of at least 1';
    if ((target as number) < progress.accepted) return `target ${target} is below the ${progress.accepted} records already accepted`;
    if (progress.stopReason) return `the build has already stopped (${progress.stopReason})`;
    return undefined;
  }

  /** A new target may be applied: the build is prepared and no acceptance (started under the old one) runs. */
  mayChangeTarget(): boolean {
    return this.prepared && !this.accepting;
  }

  // ---- preparation --------------------------------------------------------------------------------

  /** Takes the settings prepareBuild resolved for a build that did not continue as new. */
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

  /** The build's resolved settings (prepared before the loop starts). */
  get build(): BuildSettings {
    if (!this.settings) throw new Error('the build has no settings before prepareBuild returned');
    return this.settings;
  }

  /** Batch and acceptance ids start with the build's id (the workflow id, for builds from before epochs). */
  private idOwner(workflowId: string): string {
    return this.build.buildId ?? workflowId;
  }

  // ---- stop rules ---------------------------------------------------------------------------------

  remaining(): number {
    return this.progress.target - this.progress.accepted;
  }

  budgetSpent(): boolean {
    const { build, progress } = this;
    return build.tokenBudget > 0 && progress.tokensIn + progress.tokensOut >= build.tokenBudget;
  }

  roundsDone(): boolean {
    const lastRound = (this.build.firstRound ?? 1) - 1 + this.build.maxRounds;
    return this.cursor.round > lastRound;
  }

  /** Nothing is generating, waiting for acceptance or being accepted. */
  idle(): boolean {
    return this.inFlight.size === 0 && this.readyToAccept.length === 0 && !this.accepting;
  }

  /** The target is met and every batch that met it is accepted: batches still generating can only add surplus. */
  targetMetAndAccepted(): boolean {
    return this.remaining() <= 0 && this.readyToAccept.length === 0 && !this.accepting;
  }

  /** Sets why an idle build stops, if it does: the target, the token budget, or the rounds. */
  settleStopReason(): boolean {
    const { progress } = this;
    if (this.remaining() <= 0) progress.stopReason = 'target_reached';
    else if (this.budgetSpent()) progress.stopReason = 'token_budget';
    else if (this.roundsDone()) progress.stopReason = this.build.batchesPerRound > 0 ? 'max_rounds' : 'sources_exhausted';
    return progress.stopReason !== undefined;
  }

  // ---- launching ----------------------------------------------------------------------------------

  canLaunch(): boolean {
    return (
      !this.paused &&
      !this.failure &&
      !this.progress.stopReason &&
      this.remaining() > 0 &&
      !this.budgetSpent() &&
      !this.roundsDone() &&
      !this.continueAsNewSuggested()
    );
  }

  // Near the end, batches already under way will probably meet the target on their own: launching more would
  // only generate surplus. "Probably" uses the yield of the batches accepted so far, with a margin.
  private likelyEnoughUnderWay(): boolean {
    const { progress } = this;
    if (progress.batchesDone < MIN_BATCHES_FOR_YIELD) return false;
    const yieldPerBatch = (progress.accepted - (progress.acceptedBefore ?? 0)) / progress.batchesDone;
    return (this.inFlight.size + this.readyToAccept.length + this.acceptingBatches) * yieldPerBatch >= this.remaining() * YIELD_MARGIN;
  }

  /**
   * Room for one more batch: at most `concurrency` batches processing and as many waiting for acceptance, so a slow
   * acceptance (which takes every ready batch at once) does not leave the endpoint idle, and a stalled one does not
   * pile up work.
   */
  hasRoom(): boolean {
    return this.inFlight.size < this.progress.concurrency && this.readyToAccept.length < this.progress.concurrency;
  }

  /** Builds from before launches were sized by what is missing: full batches while they may launch and have room. */
  mayLaunchFullBatch(): boolean {
    return this.canLaunch() && !this.likelyEnoughUnderWay() && this.hasRoom();
  }

  /**
   * Asks the launch policy what the records still missing need, given what is under way and the yield seen.
   * Undefined when nothing may be launched now at all.
   */
  launchDecision(): LaunchDecision | undefined {
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

  /** Marks every batch in flight not withdrawn yet as withdrawn, and returns their handles to cancel, in launch order. */
  withdrawInFlight(): Handle[] {
    const handles: Handle[] = [];
    for (const [id, batch] of this.inFlight) {
      if (this.withdrawn.has(id)) continue;
      this.withdrawn.add(id);
      handles.push(batch.handle);
    }
    return handles;
  }

  /** Handles of every batch in flight, in launch order. */
  inFlightHandles(): Handle[] {
    return [...this.inFlight.values()].map((b) => b.handle);
  }

  /**
   * Takes the next batch off the cursor and counts it in flight under `handle`. With a plan (launches sized by what
   * is missing) the batch takes the plan's source items; without one it is the next full batch of the round.
   */
  launch(workflowId: string, handle: Handle, plan?: PlannedBatch): LaunchedBatch {
    const { build, progress } = this;
    const { round, index } = this.cursor;
    const id = batchId(this.idOwner(workflowId), round, index);
    let slice: LaunchedBatch['slice'];
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
    const settings = { ...build, target: progress.target, ...(plan ? { itemsPerChunk: plan.itemsPerSource } : {}) };
    this.inFlight.set(id, { handle, sourceItems: slice?.sourceCount });
    progress.batchesInFlight = this.inFlight.size;
    progress.round = round;
    return { id, round, index, settings, slice };
  }

  /** A batch finished processing: its counts join the progress and it waits for acceptance. */
  batchProcessed(id: string, summary: BatchSummary): void {
    const { progress } = this;
    const sourceItems = this.inFlight.get(id)?.sourceItems;
    this.inFlight.delete(id);
    if (sourceItems !== undefined) this.evidence = withProcessedBatch(this.evidence, { sourceItems, generated: summary.generated, candidates: summary.candidates });
    progress.batchesInFlight = this.inFlight.size;
    progress.generated += summary.generated;
    progress.parseFailures += summary.parseFailures;
    progress.tokensIn += summary.tokensIn;
    progress.tokensOut += summary.tokensOut;
    for (const [reason, n] of Object.entries(summary.rejected)) progress.rejected[reason] = (progress.rejected[reason] ?? 0) + n;
    this.readyToAccept.push(summary);
  }

  /** A batch ended without a summary; `cancelled` says whether it was cancelled (by us or the build's cancel). */
  batchEnded(id: string, err: unknown, cancelled: boolean): void {
    this.inFlight.delete(id);
    this.progress.batchesInFlight = this.inFlight.size;
    // A batch we cancelled because the target was met, or would very probably be met without it, is not a
    // failure; its candidates end as surplus. (Cancelled, or timed out on a dead worker after the cancel
    // request: either way it is no failure.)
    if (!(cancelled && (this.remaining() <= 0 || this.withdrawn.has(id)))) this.failure ??= err;
  }

  // ---- acceptance ---------------------------------------------------------------------------------

  mayAccept(): boolean {
    return this.readyToAccept.length > 0 && !this.accepting && this.targetChangesWaiting === 0;
  }

  /** An acceptance starts: no other starts, and no new target applies, until acceptanceEnded. */
  beginAcceptance(): void {
    this.accepting = true;
  }

  /**
   * Takes what the running acceptance accepts, and numbers it: every batch ready now, in the order they finished
   * (at most MAX_BATCHES_PER_ACCEPTANCE), so one acceptance keeps up however fast batches come.
   */
  takeAcceptanceGroup(workflowId: string): BegunAcceptance {
    const group = this.readyToAccept.splice(0, MAX_BATCHES_PER_ACCEPTANCE);
    this.acceptingBatches = group.length;
    this.acceptingCandidates = group.reduce((n, b) => n + b.candidates, 0);
    const ordinal = (this.progress.acceptances ?? 0) + 1;
    this.progress.acceptances = ordinal;
    return {
      batchIds: group.map((b) => b.batchId),
      acceptanceId: acceptanceId(this.idOwner(workflowId), ordinal),
      target: this.progress.target,
      remaining: Math.max(0, this.remaining()),
      progress: { ...this.progress },
    };
  }

  /** The running acceptance committed. */
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

  // ---- waiting and continuing ---------------------------------------------------------------------

  snapshot() {
    return {
      ready: this.readyToAccept.length,
      inFlight: this.inFlight.size,
      accepting: this.accepting,
      paused: this.paused,
      target: this.progress.target,
      conc: this.progress.concurrency,
      targetChangesWaiting: this.targetChangesWaiting,
    };
  }

  /** Something the loop decides on changed since `before`, or a failure arrived. */
  changedSince(before: Snapshot): boolean {
    return (
      this.readyToAccept.length !== before.ready ||
      this.accepting !== before.accepting ||
      this.inFlight.size !== before.inFlight ||
      this.paused !== before.paused ||
      this.progress.target !== before.target ||
      this.progress.concurrency !== before.conc ||
      this.targetChangesWaiting !== before.targetChangesWaiting ||
      this.failure !== undefined
    );
  }

  /** Nothing in flight any more, and (when `acceptanceToo`) no acceptance running: safe to finalize. */
  settled(acceptanceToo: boolean): boolean {
    return this.inFlight.size === 0 && (!acceptanceToo || !this.accepting);
  }

  carryOver(): BuildCarryOver {
    return { settings: this.build, progress: this.progress, cursor: this.cursor, paused: this.paused, evidence: this.evidence };
  }
}
