// How much generation a build launches: enough for the records still missing at the yield expected, never a
// wave sized by concurrency alone. Pure and deterministic (no I/O, no clock), so workflow code can call it and
// tests can pin its decisions.
//
// The yield of a candidate is split in two rates that are observed at different times: the share of generated
// candidates that pass scoring and filters (known when a batch is processed) and the share of those that are
// not duplicates (known when a batch is accepted). Each rate starts from a prior (the dataset's earlier builds,
// or a deliberately high default, because overestimating the yield only costs another small wave while
// underestimating it costs tokens) and moves towards what this build observes as evidence arrives.

/** What this build has observed so far: counts, so that they add up across batches and continue-as-new. */
export interface LaunchEvidence {
  /** Source items (chunks / seed records) of the batches processed so far, and what they generated. */
  sourceItemsProcessed: number;
  generatedProcessed: number;
  /** Candidates of those batches left after scoring and filters. */
  passedProcessed: number;
  /** Candidates of accepted batches checked for duplicates, and how many were not duplicates (accepted or surplus). */
  candidatesAccepted: number;
  keptAccepted: number;
}

export const NO_EVIDENCE: LaunchEvidence = { sourceItemsProcessed: 0, generatedProcessed: 0, passedProcessed: 0, candidatesAccepted: 0, keptAccepted: 0 };

/** The yield expected before this build has seen anything. */
export interface YieldPrior {
  /** Share of generated candidates that pass scoring and filters. */
  pass: number;
  /** Share of passing candidates that are not duplicates. */
  keep: number;
}

export interface LaunchState {
  target: number;
  accepted: number;
  /** Source items of the batches still generating. */
  inFlightSourceItems: number;
  inFlightBatches: number;
  /** Candidates of processed batches waiting for (or in) acceptance: they passed scoring, dedup is ahead. */
  pendingCandidates: number;
  evidence: LaunchEvidence;
  prior: YieldPrior;
  /** Batches that may generate at once, and source items in a full batch. */
  concurrency: number;
  batchSize: number;
  /** Items asked of the LLM per chunk (the most a source item yields). */
  itemsPerSource: number;
}

export interface PlannedBatch {
  sourceItems: number;
  /** Items asked per source item: below the configured count only in the last, small batch of a build. */
  itemsPerSource: number;
}

export interface LaunchDecision {
  launch: PlannedBatch[];
  /** What is already processed will very probably meet the target: batches still generating can only add surplus. */
  cancelInFlight: boolean;
  /** The estimates behind the decision, for progress and tests. */
  estimate: { passRate: number; keepRate: number; candidatesPerSourceItem: number; expectedFromUnderWay: number; aim: number };
}

/** Weight of the prior, in candidates: after this many observed, the observation counts as much as the prior. */
const PRIOR_WEIGHT = 20;
/**
 * Surplus the launch plans for, as a share of the target: a large build keeps its endpoint full to the end at the
 * cost of a little surplus, instead of finishing with a tail of small waves that leave the endpoint idle.
 */
const PLANNED_SURPLUS_SHARE = 0.04;
/**
 * Standard deviations of the kept count the launch stays below what is missing. The outcome of n candidates varies
 * by about √(missing·(1 − yield)); aiming 1.5 deviations low makes overshooting rare, and what falls short is
 * topped up by a small next wave.
 */
const AIM_BELOW_SD = 1.5;
/** Deviations above what is missing that processed candidates must reach before batches still generating are cancelled. */
const CANCEL_ABOVE_SD = 2;
/** A rate is never estimated below this, so a bad start cannot launch an unbounded amount. */
const MIN_RATE = 0.05;

export const DEFAULT_PRIOR_UNSCORED: YieldPrior = { pass: 0.95, keep: 0.95 };
export const DEFAULT_PRIOR_SCORED: YieldPrior = { pass: 0.8, keep: 0.95 };

/**
 * Standard errors added to each rate for launching: a rate measured on a few dozen candidates can be low by bad luck,
 * and launching for a yield that is too low is what makes surplus. Vanishes as evidence accumulates.
 */
const OPTIMISM_SE = 1;

function blend(observed: number, of: number, prior: number): number {
  return Math.min(1, Math.max(MIN_RATE, (observed + prior * PRIOR_WEIGHT) / (of + PRIOR_WEIGHT)));
}

/** The rate with its estimation error added: what launching assumes, so that it errs towards launching less. */
function optimistic(rate: number, of: number): number {
  return Math.min(1, rate + OPTIMISM_SE * Math.sqrt((rate * (1 - rate)) / (of + PRIOR_WEIGHT)));
}

export function decideLaunch(state: LaunchState): LaunchDecision {
  const { evidence, prior } = state;
  const passRate = blend(evidence.passedProcessed, evidence.generatedProcessed, prior.pass);
  const keepRate = blend(evidence.keptAccepted, evidence.candidatesAccepted, prior.keep);
  // Candidates of one source item pass or fail together (a chunk in another language, a slide with a few words),
  // so the pass rate's error is that of a sample of source items, not of candidates.
  const launchPass = optimistic(passRate, evidence.sourceItemsProcessed);
  const launchKeep = optimistic(keepRate, evidence.candidatesAccepted);
  const yieldRate = launchPass * launchKeep;
  const candidatesPerSourceItem =
    evidence.sourceItemsProcessed > 0
      ? Math.max(MIN_RATE, Math.min(state.itemsPerSource, evidence.generatedProcessed / evidence.sourceItemsProcessed))
      : state.itemsPerSource;

  const missing = Math.max(0, state.target - state.accepted);
  const fromPending = state.pendingCandidates * launchKeep;
  const fromInFlight = state.inFlightSourceItems * candidatesPerSourceItem * yieldRate;
  const expectedFromUnderWay = fromPending + fromInFlight;
  const spread = (n: number) => Math.sqrt(Math.max(0, n) * (1 - yieldRate));
  const aim = Math.max(0, missing + PLANNED_SURPLUS_SHARE * state.target - AIM_BELOW_SD * spread(missing));

  // Cancelling is judged on the plain estimate, not the optimistic one: wrongly cancelled work has to be redone.
  const pendingKept = state.pendingCandidates * keepRate;
  const cancelInFlight =
    state.inFlightBatches > 0 && missing > 0 && pendingKept - CANCEL_ABOVE_SD * Math.sqrt(state.pendingCandidates * keepRate * (1 - keepRate)) >= missing;
  const estimate = { passRate, keepRate, candidatesPerSourceItem, expectedFromUnderWay, aim };
  if (missing === 0 || cancelInFlight) return { launch: [], cancelInFlight, estimate };

  // Whatever the aim, one more candidate must be launched when nothing is under way and records are missing.
  const shortfall = aim - expectedFromUnderWay;
  const nothingUnderWay = state.inFlightSourceItems === 0 && state.pendingCandidates === 0;
  if (shortfall <= 0 && !nothingUnderWay) return { launch: [], cancelInFlight, estimate };
  const candidatesWanted = Math.max(1, shortfall / yieldRate);

  const launch: PlannedBatch[] = [];
  const room = Math.max(0, state.concurrency - state.inFlightBatches);
  const fullBatchCandidates = state.batchSize * candidatesPerSourceItem;
  let left = candidatesWanted;
  while (launch.length < room && left > 0) {
    if (left >= fullBatchCandidates) {
      launch.push({ sourceItems: state.batchSize, itemsPerSource: state.itemsPerSource });
      left -= fullBatchCandidates;
      continue;
    }
    // The last batch: the most candidates not above what is wanted (a little less only costs a small next wave;
    // a little more is surplus), from as few source items as give that many.
    launch.push(lastBatch(left, candidatesPerSourceItem / state.itemsPerSource, state.itemsPerSource, state.batchSize));
    left = 0;
  }
  return { launch, cancelInFlight, estimate };
}

/** Source items × items per source closest to `wanted` candidates from below; at least one item. */
function lastBatch(wanted: number, perRequestedItem: number, maxItemsPerSource: number, maxSourceItems: number): PlannedBatch {
  let best: PlannedBatch = { sourceItems: 1, itemsPerSource: 1 };
  for (let itemsPerSource = maxItemsPerSource; itemsPerSource >= 1; itemsPerSource--) {
    const sourceItems = Math.min(maxSourceItems, Math.floor(wanted / (itemsPerSource * perRequestedItem)));
    if (sourceItems >= 1 && sourceItems * itemsPerSource > best.sourceItems * best.itemsPerSource) best = { sourceItems, itemsPerSource };
  }
  return best;
}

/** Adds one processed batch's summary to the evidence. */
export function withProcessedBatch(evidence: LaunchEvidence, batch: { sourceItems: number; generated: number; candidates: number }): LaunchEvidence {
  return {
    ...evidence,
    sourceItemsProcessed: evidence.sourceItemsProcessed + batch.sourceItems,
    generatedProcessed: evidence.generatedProcessed + batch.generated,
    passedProcessed: evidence.passedProcessed + batch.candidates,
  };
}

/** Adds one acceptance (of `candidates` passing candidates, `kept` of them not duplicates) to the evidence. */
export function withAcceptance(evidence: LaunchEvidence, acceptance: { candidates: number; kept: number }): LaunchEvidence {
  return {
    ...evidence,
    candidatesAccepted: evidence.candidatesAccepted + acceptance.candidates,
    keptAccepted: evidence.keptAccepted + acceptance.kept,
  };
}

/** The prior when the dataset's earlier builds say nothing: high, so a small build starts small. */
export function defaultPrior(scoring: 'judge' | 'reward' | 'both' | 'none'): YieldPrior {
  return scoring === 'none' ? DEFAULT_PRIOR_UNSCORED : DEFAULT_PRIOR_SCORED;
}
