// BuildState's decisions on their own: what buildDataset launches, accepts, counts and stops on. The workflow's
// command sequence around them is covered by the replay histories and tests/workflows.
import { describe, expect, it } from 'vitest';
import type { BatchSummary, BuildSettings } from '../../../src/workflows/build-settings';
import { BuildState, type BuildCarryOver } from '../../../src/workflows/build-state';
import { NO_EVIDENCE } from '../../../src/workflows/launch-policy';

const WORKFLOW_ID = 'build-facts';

function settings(overrides: Partial<BuildSettings> = {}): BuildSettings {
  return {
    datasetId: 'facts',
    buildId: 'build-facts/e1',
    ownerId: 'local',
    type: 'qa',
    target: 10,
    maxRounds: 2,
    tokenBudget: 0,
    batchSize: 4,
    concurrency: 2,
    itemsPerChunk: 3,
    chunkCount: 12,
    seedCount: 0,
    batchesPerRound: 3,
    scoring: { mode: 'none', threshold: 7, rewardThreshold: 0.5 },
    dedup: { exact: true, minhash: { enabled: true, threshold: 0.8 }, semantic: { enabled: false, threshold: 0.9 } },
    filters: [],
    temperature: 0.7,
    maxTokens: 512,
    ...overrides,
  };
}

/** A prepared build of `facts` whose handles are plain labels. */
function prepared(overrides: Partial<BuildSettings> = {}, input: { target?: number; concurrency?: number } = {}) {
  const state = new BuildState<string>({ datasetId: 'facts', target: input.target ?? 10, concurrency: input.concurrency }, undefined, () => false);
  state.prepare(settings(overrides));
  return state;
}

function summary(batchId: string, candidates: number, extra: Partial<BatchSummary> = {}): BatchSummary {
  return { batchId, round: 1, index: 0, generated: candidates, parseFailures: 0, rejected: {}, candidates, tokensIn: 10, tokensOut: 20, ...extra };
}

describe('BuildState', () => {
  it('starts a fresh build from nothing, and reports a paused build as paused', () => {
    const state = new BuildState<string>({ datasetId: 'facts', target: 5, concurrency: undefined }, undefined, () => false);
    expect(state.progress).toMatchObject({ datasetId: 'facts', status: 'running', target: 5, accepted: 0, concurrency: 0, continuedAsNew: 0 });
    expect(state.prepared).toBe(false);
    state.paused = true;
    expect(state.view().status).toBe('paused');
    expect(state.progress.status).toBe('running');
  });

  it('takes the prepared settings: earlier records count towards the target, rounds go on, live concurrency wins', () => {
    const state = new BuildState<string>({ datasetId: 'facts', target: 30, concurrency: undefined }, undefined, () => false);
    state.prepare(settings({ acceptedBefore: 12, firstRound: 4, concurrency: 3 }));
    expect(state.progress).toMatchObject({ accepted: 12, acceptedBefore: 12, buildId: 'build-facts/e1', acceptances: 0, concurrency: 3 });
    expect(state.cursor).toEqual({ round: 4, index: 0 });
    expect(state.remaining()).toBe(18);
    expect(state.prepared).toBe(true);

    const live = new BuildState<string>({ datasetId: 'facts', target: 30, concurrency: 7 }, undefined, () => false);
    live.prepare(settings({ concurrency: 3 }));
    expect(live.progress.concurrency).toBe(7);
  });

  it('refuses a target that is not a whole number, is below what is accepted, or comes after the stop', () => {
    const state = prepared({ acceptedBefore: 4 });
    expect(state.targetRefusal(2.5)).toMatch(/whole number/);
    expect(state.targetRefusal(3)).toMatch(/below the 4 records already accepted/);
    expect(state.targetRefusal(4)).toBeUndefined();
    state.progress.stopReason = 'max_rounds';
    expect(state.targetRefusal(20)).toMatch(/already stopped \(max_rounds\)/);
  });

  it('launches full batches through the rounds up to the concurrency, then stops at max rounds', () => {
    const state = prepared({ concurrency: 2 });
    const launched: string[] = [];
    while (state.mayLaunchFullBatch()) launched.push(state.launch(WORKFLOW_ID, `h${launched.length}`).id);
    expect(launched).toEqual(['build-facts/e1/r1/b0', 'build-facts/e1/r1/b1']);
    expect(state.progress.batchesInFlight).toBe(2);
    expect(state.hasRoom()).toBe(false);

    // Finishing batches frees room; the third batch of round 1 is followed by round 2's first.
    state.batchProcessed(launched[0], summary(launched[0], 1));
    const third = state.launch(WORKFLOW_ID, 'h2');
    expect(third).toMatchObject({ id: 'build-facts/e1/r1/b2', round: 1, index: 2, slice: undefined });
    expect(third.settings.target).toBe(10);
    expect(state.cursor).toEqual({ round: 2, index: 0 });
    state.launch(WORKFLOW_ID, 'h3');
    state.launch(WORKFLOW_ID, 'h4');
    state.launch(WORKFLOW_ID, 'h5');
    expect(state.roundsDone()).toBe(true);
    expect(state.canLaunch()).toBe(false);
    expect(state.settleStopReason()).toBe(true);
    expect(state.progress.stopReason).toBe('max_rounds');
  });

  it('walks the sources in order with planned batches, a short last slice ending the round', () => {
    // 12 chunks, 3 batches of 4 a round: sources of a round = 12.
    const state = prepared();
    const first = state.launch(WORKFLOW_ID, 'a', { sourceItems: 4, itemsPerSource: 3 });
    expect(first.slice).toEqual({ sourceOffset: 0, sourceCount: 4 });
    const second = state.launch(WORKFLOW_ID, 'b', { sourceItems: 3, itemsPerSource: 2 });
    expect(second).toMatchObject({ id: 'build-facts/e1/r1/b1', slice: { sourceOffset: 4, sourceCount: 3 } });
    expect(second.settings.itemsPerChunk).toBe(2);
    const third = state.launch(WORKFLOW_ID, 'c', { sourceItems: 8, itemsPerSource: 3 });
    expect(third.slice).toEqual({ sourceOffset: 7, sourceCount: 5 });
    expect(state.cursor).toEqual({ round: 2, index: 0, offset: 0 });
  });

  it('asks the launch policy with only the source items still wanted, and withdraws each batch once', () => {
    const state = prepared({ concurrency: 4 }, { target: 4 });
    const a = state.launch(WORKFLOW_ID, 'a', { sourceItems: 4, itemsPerSource: 3 });
    state.launch(WORKFLOW_ID, 'b', { sourceItems: 2, itemsPerSource: 3 });
    // A processed batch with plenty of candidates: what is pending will very probably meet the target.
    state.batchProcessed(a.id, summary(a.id, 40));
    const decision = state.launchDecision();
    expect(decision?.cancelInFlight).toBe(true);
    expect(state.withdrawInFlight()).toEqual(['b']);
    expect(state.withdrawInFlight()).toEqual([]);
    state.paused = true;
    expect(state.launchDecision()).toBeUndefined();
  });

  it('counts a processed batch in the progress and the launch evidence', () => {
    const state = prepared();
    const batch = state.launch(WORKFLOW_ID, 'a', { sourceItems: 4, itemsPerSource: 3 });
    state.batchProcessed(batch.id, summary(batch.id, 9, { generated: 12, parseFailures: 1, rejected: { low_score: 3 } }));
    expect(state.progress).toMatchObject({ generated: 12, parseFailures: 1, rejected: { low_score: 3 }, tokensIn: 10, tokensOut: 20, batchesInFlight: 0 });
    expect(state.evidence).toEqual({ ...NO_EVIDENCE, sourceItemsProcessed: 4, generatedProcessed: 12, passedProcessed: 9 });
    expect(state.mayAccept()).toBe(true);
  });

  it('treats a cancelled batch as surplus only when the target is met or the batch was withdrawn', () => {
    const failed = prepared();
    const a = failed.launch(WORKFLOW_ID, 'a');
    failed.batchEnded(a.id, new Error('endpoint down'), false);
    expect(failed.failure).toEqual(new Error('endpoint down'));

    const cancelledEarly = prepared();
    const b = cancelledEarly.launch(WORKFLOW_ID, 'b');
    cancelledEarly.batchEnded(b.id, new Error('cancelled'), true);
    expect(cancelledEarly.failure).toBeDefined();

    const withdrawn = prepared();
    const c = withdrawn.launch(WORKFLOW_ID, 'c', { sourceItems: 2, itemsPerSource: 3 });
    withdrawn.withdrawInFlight();
    withdrawn.batchEnded(c.id, new Error('cancelled'), true);
    expect(withdrawn.failure).toBeUndefined();
    expect(withdrawn.idle()).toBe(true);
  });

  it('accepts ready batches in groups of at most 16, numbered, and counts what each acceptance kept', () => {
    const state = prepared({ concurrency: 64 }, { target: 100 });
    for (let i = 0; i < 18; i++) {
      const batch = state.launch(WORKFLOW_ID, `h${i}`);
      state.batchProcessed(batch.id, summary(batch.id, 2));
    }
    state.beginAcceptance();
    expect(state.mayAccept()).toBe(false);
    const group = state.takeAcceptanceGroup(WORKFLOW_ID);
    expect(group.batchIds).toHaveLength(16);
    expect(group).toMatchObject({ acceptanceId: 'build-facts/e1/a1', target: 100, remaining: 100 });
    expect(group.progress.acceptances).toBe(1);
    state.acceptanceCommitted({ batchId: group.batchIds[0], accepted: 28, surplus: 0, duplicates: { exact_duplicate: 4 }, acceptedTotal: 28 });
    state.acceptanceEnded();
    expect(state.progress).toMatchObject({ accepted: 28, batchesDone: 16, rejected: { exact_duplicate: 4 } });
    expect(state.evidence).toMatchObject({ candidatesAccepted: 32, keptAccepted: 28 });
    expect(state.mayAccept()).toBe(true);
    expect(state.takeAcceptanceGroup(WORKFLOW_ID)).toMatchObject({ acceptanceId: 'build-facts/e1/a2', remaining: 72 });
  });

  it('waits with no acceptance while a new target waits, and lets the target change only between acceptances', () => {
    const state = prepared();
    const batch = state.launch(WORKFLOW_ID, 'a');
    state.batchProcessed(batch.id, summary(batch.id, 2));
    state.targetChangesWaiting = 1;
    expect(state.mayAccept()).toBe(false);
    expect(state.mayChangeTarget()).toBe(true);
    state.beginAcceptance();
    expect(state.mayChangeTarget()).toBe(false);
  });

  it('stops launching near the target once the yield of three batches says those under way will meet it', () => {
    const state = prepared({ concurrency: 8, batchesPerRound: 100, maxRounds: 1, chunkCount: 400 }, { target: 20 });
    for (let i = 0; i < 3; i++) {
      const batch = state.launch(WORKFLOW_ID, `h${i}`);
      state.batchProcessed(batch.id, summary(batch.id, 5));
    }
    state.beginAcceptance();
    const group = state.takeAcceptanceGroup(WORKFLOW_ID);
    state.acceptanceCommitted({ batchId: group.batchIds[0], accepted: 15, surplus: 0, duplicates: {} });
    state.acceptanceEnded();
    // 5 a batch and 5 missing: one batch under way is not enough with the 1.3 margin, two are.
    expect(state.mayLaunchFullBatch()).toBe(true);
    state.launch(WORKFLOW_ID, 'h3');
    expect(state.mayLaunchFullBatch()).toBe(true);
    state.launch(WORKFLOW_ID, 'h4');
    expect(state.mayLaunchFullBatch()).toBe(false);
  });

  it('stops on the token budget, and for sources exhausted when a round has no batches', () => {
    const budget = prepared({ tokenBudget: 25 });
    const batch = budget.launch(WORKFLOW_ID, 'a');
    budget.batchProcessed(batch.id, summary(batch.id, 1));
    expect(budget.budgetSpent()).toBe(true);
    expect(budget.canLaunch()).toBe(false);
    expect(budget.settleStopReason()).toBe(true);
    expect(budget.progress.stopReason).toBe('token_budget');

    const empty = prepared({ batchesPerRound: 0, maxRounds: 0 });
    expect(empty.settleStopReason()).toBe(true);
    expect(empty.progress.stopReason).toBe('sources_exhausted');
  });

  it('does not launch once Temporal suggests continuing as new', () => {
    let suggested = false;
    const state = new BuildState<string>({ datasetId: 'facts', target: 10, concurrency: undefined }, undefined, () => suggested);
    state.prepare(settings());
    expect(state.canLaunch()).toBe(true);
    suggested = true;
    expect(state.canLaunch()).toBe(false);
  });

  it('notices every change the loop waits on', () => {
    const state = prepared();
    const before = state.snapshot();
    expect(state.changedSince(before)).toBe(false);
    state.progress.concurrency = 5;
    expect(state.changedSince(before)).toBe(true);
    const again = state.snapshot();
    state.failure = new Error('boom');
    expect(state.changedSince(again)).toBe(true);
  });

  it('continues as new exactly where it stopped', () => {
    const state = prepared();
    state.launch(WORKFLOW_ID, 'a', { sourceItems: 4, itemsPerSource: 3 });
    state.paused = true;
    const carried: BuildCarryOver = JSON.parse(JSON.stringify(state.carryOver()));
    const next = new BuildState<string>({ datasetId: 'facts', target: 10, concurrency: undefined }, carried, () => false);
    expect(next.prepared).toBe(true);
    expect(next.cursor).toEqual({ round: 1, index: 1, offset: 4 });
    expect(next.paused).toBe(true);
    expect(next.progress.continuedAsNew).toBe(1);
    expect(next.build.buildId).toBe('build-facts/e1');
  });
});
