import { describe, expect, it } from 'vitest';
import type { BatchSummary, BuildSettings } from '../../../src/workflows/build-settings';
import { BuildLoop, type BuildCarryOver } from '../../../src/workflows/build-loop';
import { NO_EVIDENCE } from '../../../src/workflows/launch-policy';

const WORKFLOW_ID = 'build-ds';
const BUILD_ID = 'build-ds/e1';

/** A build of 20 chunks: 4 batches of 5 chunks a round, 3 rounds, 2 items per chunk, judged. */
function settings(overrides: Partial<BuildSettings> = {}): BuildSettings {
  return {
    datasetId: 'ds',
    buildId: BUILD_ID,
    epoch: 1,
    firstRound: 1,
    acceptedBefore: 0,
    ownerId: 'local',
    type: 'qa',
    target: 10,
    maxRounds: 3,
    tokenBudget: 0,
    batchSize: 5,
    concurrency: 2,
    itemsPerChunk: 2,
    chunkCount: 20,
    seedCount: 0,
    batchesPerRound: 4,
    scoring: { mode: 'judge', threshold: 7, rewardThreshold: 0 },
    dedup: { exact: true, minhash: { enabled: false, threshold: 0.8 }, semantic: { enabled: false, threshold: 0.9 } },
    filters: [],
    temperature: 0.7,
    maxTokens: 256,
    ...overrides,
  };
}

/** A loop whose build is prepared, as the workflow has it after prepareBuild. */
function prepared(target = 10, overrides: Partial<BuildSettings> = {}): BuildLoop {
  const loop = new BuildLoop({ datasetId: 'ds', target }, WORKFLOW_ID);
  loop.prepare(settings({ target, ...overrides }));
  return loop;
}

function summary(batchId: string, candidates: number, overrides: Partial<BatchSummary> = {}): BatchSummary {
  return { batchId, round: 1, index: 0, generated: candidates, parseFailures: 0, rejected: {}, candidates, tokensIn: 10, tokensOut: 5, ...overrides };
}

const noop = () => {};

describe('BuildLoop: the start', () => {
  it('starts a fresh build from the input, unprepared, with the concurrency of the input or none yet', () => {
    const loop = new BuildLoop({ datasetId: 'ds', target: 7, concurrency: 3 }, WORKFLOW_ID);
    expect(loop.progress).toMatchObject({ datasetId: 'ds', status: 'running', target: 7, accepted: 0, round: 1, concurrency: 3, continuedAsNew: 0 });
    expect(loop.prepared).toBe(false);
    expect(loop.cursor).toEqual({ round: 1, index: 0 });
    expect(loop.evidence).toBe(NO_EVIDENCE);
    expect(new BuildLoop({ datasetId: 'ds', target: 7 }, WORKFLOW_ID).progress.concurrency).toBe(0);
    expect(() => loop.build).toThrow(/before prepareBuild/);
  });

  it('takes the prepared settings: their concurrency unless one was set live, what the dataset held, the first round', () => {
    const loop = new BuildLoop({ datasetId: 'ds', target: 30 }, WORKFLOW_ID);
    loop.prepare(settings({ acceptedBefore: 12, firstRound: 4, concurrency: 6 }));
    expect(loop.prepared).toBe(true);
    expect(loop.progress).toMatchObject({ concurrency: 6, accepted: 12, acceptedBefore: 12, buildId: BUILD_ID, acceptances: 0 });
    expect(loop.cursor).toEqual({ round: 4, index: 0 });

    const live = new BuildLoop({ datasetId: 'ds', target: 30, concurrency: 2 }, WORKFLOW_ID);
    live.prepare(settings({ concurrency: 6 }));
    expect(live.progress.concurrency).toBe(2);
  });

  it('leaves a build prepared before epochs on its workflow id, without acceptedBefore', () => {
    const loop = new BuildLoop({ datasetId: 'ds', target: 5 }, WORKFLOW_ID);
    loop.prepare(settings({ buildId: undefined, acceptedBefore: undefined, firstRound: undefined }));
    expect(loop.progress.acceptedBefore).toBeUndefined();
    expect(loop.progress.acceptances).toBeUndefined();
    loop.progress.concurrency = 2;
    expect(loop.launch(undefined, noop).batchId).toBe(`${WORKFLOW_ID}/r1/b0`);
  });

  it('goes on from a carry-over where the last run stopped, counting the continue-as-new', () => {
    const first = prepared(10);
    first.paused = true;
    first.launch({ sourceItems: 3, itemsPerSource: 2 }, noop);
    const carried: BuildCarryOver = first.carryOver();
    expect(carried).toEqual({
      settings: first.build,
      progress: first.progress,
      cursor: { round: 1, index: 1, offset: 3 },
      paused: true,
      evidence: NO_EVIDENCE,
    });

    const next = new BuildLoop({ datasetId: 'ds', target: 10 }, WORKFLOW_ID, carried);
    expect(next.prepared).toBe(true);
    expect(next.paused).toBe(true);
    expect(next.cursor).toEqual({ round: 1, index: 1, offset: 3 });
    expect(next.progress.continuedAsNew).toBe(1);
    expect(next.build).toBe(carried.settings);
  });
});

describe('BuildLoop: live controls', () => {
  it('reports a running build that is paused as paused, and any other status as it is', () => {
    const loop = prepared();
    loop.paused = true;
    expect(loop.view().status).toBe('paused');
    expect(loop.progress.status).toBe('running');
    loop.complete();
    expect(loop.view().status).toBe('completed');
  });

  it('refuses a target that is not a whole number, below what is accepted, or after the build stopped', () => {
    const loop = prepared(10);
    expect(loop.targetRefusal(12)).toBeUndefined();
    expect(loop.targetRefusal(0)).toMatch(/at least 1/);
    expect(loop.targetRefusal(2.5)).toMatch(/whole number/);
    expect(loop.targetRefusal('12')).toMatch(/whole number/);
    loop.progress.accepted = 6;
    expect(loop.targetRefusal(5)).toBe('target 5 is below the 6 records already accepted');
    expect(loop.targetRefusal(6)).toBeUndefined();
    loop.progress.stopReason = 'max_rounds';
    expect(loop.targetRefusal(20)).toBe('the build has already stopped (max_rounds)');
  });

  it('refuses a concurrency outside 1 to 64', () => {
    expect(BuildLoop.concurrencyRefusal(1)).toBeUndefined();
    expect(BuildLoop.concurrencyRefusal(64)).toBeUndefined();
    for (const bad of [0, 65, 1.5, undefined, '4']) expect(BuildLoop.concurrencyRefusal(bad)).toMatch(/from 1 to 64/);
  });

  it('applies a new target only once prepared and between acceptances', () => {
    const loop = new BuildLoop({ datasetId: 'ds', target: 10 }, WORKFLOW_ID);
    expect(loop.mayChangeTarget()).toBe(false);
    loop.prepare(settings());
    expect(loop.mayChangeTarget()).toBe(true);
    loop.batchProcessed(loop.launch(undefined, noop).batchId, summary(`${BUILD_ID}/r1/b0`, 3));
    loop.startAcceptance();
    expect(loop.mayChangeTarget()).toBe(false);
    loop.acceptanceEnded();
    expect(loop.mayChangeTarget()).toBe(true);
  });
});

describe('BuildLoop: may a batch be launched', () => {
  it('launches while records are missing and nothing stops it', () => {
    const loop = prepared(10);
    expect(loop.canLaunch(false)).toBe(true);
    expect(loop.canLaunch(true)).toBe(false);
  });

  it('launches nothing while paused, failed, stopped, at the target, over the budget or past the last round', () => {
    const cases: [string, (loop: BuildLoop) => void][] = [
      ['paused', (l) => (l.paused = true)],
      ['failed', (l) => l.fail(new Error('boom'))],
      ['stopped', (l) => (l.progress.stopReason = 'cancelled')],
      ['at the target', (l) => (l.progress.accepted = 10)],
      [
        'over the budget',
        (l) => {
          l.progress.tokensIn = 60;
          l.progress.tokensOut = 40;
        },
      ],
      ['past the last round', (l) => (l.cursor = { round: 4, index: 0 })],
    ];
    for (const [name, make] of cases) {
      const loop = prepared(10, { tokenBudget: 100 });
      expect(loop.canLaunch(false), `before ${name}`).toBe(true);
      make(loop);
      expect(loop.canLaunch(false), name).toBe(false);
    }
  });

  it('counts the budget as spent only when it is set and reached', () => {
    const loop = prepared(10, { tokenBudget: 0 });
    loop.progress.tokensIn = 1e9;
    expect(loop.budgetSpent()).toBe(false);
    const limited = prepared(10, { tokenBudget: 100 });
    limited.progress.tokensIn = 99;
    expect(limited.budgetSpent()).toBe(false);
    limited.progress.tokensOut = 1;
    expect(limited.budgetSpent()).toBe(true);
  });

  it('counts the last round from the first round of the build', () => {
    const loop = prepared(10, { firstRound: 5, maxRounds: 2 });
    loop.cursor = { round: 6, index: 3 };
    expect(loop.roundsDone()).toBe(false);
    loop.cursor = { round: 7, index: 0 };
    expect(loop.roundsDone()).toBe(true);
  });

  it('has room for a batch while both the batches generating and those waiting for acceptance are below the concurrency', () => {
    const loop = prepared(100);
    expect(loop.hasRoom()).toBe(true);
    const first = loop.launch(undefined, noop);
    loop.launch(undefined, noop);
    expect(loop.hasRoom()).toBe(false);
    loop.batchProcessed(first.batchId, summary(first.batchId, 2));
    expect(loop.hasRoom()).toBe(true);
    loop.batchProcessed(loop.launch(undefined, noop).batchId, summary('x', 2));
    expect(loop.readyToAccept).toHaveLength(2);
    expect(loop.hasRoom()).toBe(false);
  });
});

describe('BuildLoop: may a planned batch be launched', () => {
  it('launches a planned batch while nothing forbids it and there is room', () => {
    const loop = prepared(100);
    expect(loop.mayLaunchPlannedBatch(false)).toBe(true);
    expect(loop.mayLaunchPlannedBatch(true)).toBe(false);
    loop.launch({ sourceItems: 5, itemsPerSource: 2 }, noop);
    loop.launch({ sourceItems: 5, itemsPerSource: 2 }, noop);
    expect(loop.mayLaunchPlannedBatch(false)).toBe(false);
  });
});

describe('BuildLoop: the full-batch launching of builds from before launch-for-missing', () => {
  it('trusts no yield before three batches are accepted', () => {
    const loop = prepared(10);
    loop.progress.batchesDone = 2;
    loop.progress.accepted = 9;
    loop.launch(undefined, noop);
    expect(loop.likelyEnoughUnderWay()).toBe(false);
  });

  it("stops launching when the batches under way would yield 1.3 times what is missing, at this build's yield so far", () => {
    const loop = prepared(100, { acceptedBefore: 10, concurrency: 10 });
    // This build's 3 batches accepted 30 records (the 10 from before do not count): 10 a batch. 60 are missing,
    // so 8 batches under way are enough (80 ≥ 78) and 7 are not.
    loop.progress.batchesDone = 3;
    loop.progress.accepted = 10 + 30;
    for (let i = 0; i < 7; i++) loop.launch(undefined, noop);
    expect(loop.likelyEnoughUnderWay()).toBe(false);
    expect(loop.mayLaunchFullBatch(false)).toBe(true);
    loop.launch(undefined, noop);
    expect(loop.likelyEnoughUnderWay()).toBe(true);
    expect(loop.mayLaunchFullBatch(false)).toBe(false);
  });

  it('launches full batches round by round, in order', () => {
    const loop = prepared(100, { concurrency: 8 });
    const launched = Array.from({ length: 5 }, () => loop.launch(undefined, noop));
    expect(launched.map((b) => [b.round, b.index])).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 0],
    ]);
    expect(launched.every((b) => b.sourceOffset === undefined && b.sourceCount === undefined)).toBe(true);
    expect(launched[0].settings).toEqual({ ...loop.build, target: 100 });
    expect(loop.progress.round).toBe(2);
    expect(loop.progress.batchesInFlight).toBe(5);
  });
});

describe('BuildLoop: batches sized by what is missing', () => {
  it('gives each batch the next source items, its items per chunk and the current target', () => {
    const loop = prepared(10, { concurrency: 4 });
    loop.progress.target = 12;
    const a = loop.launch({ sourceItems: 5, itemsPerSource: 2 }, noop);
    const b = loop.launch({ sourceItems: 2, itemsPerSource: 1 }, noop);
    expect(a).toEqual({
      workflowId: WORKFLOW_ID,
      batchId: `${BUILD_ID}/r1/b0`,
      round: 1,
      index: 0,
      settings: { ...loop.build, target: 12, itemsPerChunk: 2 },
      sourceOffset: 0,
      sourceCount: 5,
    });
    expect(b).toMatchObject({ batchId: `${BUILD_ID}/r1/b1`, sourceOffset: 5, sourceCount: 2, settings: { itemsPerChunk: 1 } });
    expect(loop.cursor).toEqual({ round: 1, index: 2, offset: 7 });
  });

  it('ends a round where the sources end, cutting its last batch short', () => {
    // 12 sources: fewer than 4 full batches of 5.
    const loop = prepared(50, { chunkCount: 12, concurrency: 8 });
    loop.launch({ sourceItems: 5, itemsPerSource: 2 }, noop);
    loop.launch({ sourceItems: 5, itemsPerSource: 2 }, noop);
    const last = loop.launch({ sourceItems: 5, itemsPerSource: 2 }, noop);
    expect(last).toMatchObject({ round: 1, index: 2, sourceOffset: 10, sourceCount: 2 });
    expect(loop.cursor).toEqual({ round: 2, index: 0, offset: 0 });
    expect(loop.launch({ sourceItems: 1, itemsPerSource: 2 }, noop)).toMatchObject({ batchId: `${BUILD_ID}/r2/b0`, sourceOffset: 0, sourceCount: 1 });
  });

  it('draws no more sources a round than its full batches hold', () => {
    // 40 sources, but a round is 4 batches of 5.
    const loop = prepared(50, { chunkCount: 30, seedCount: 10, concurrency: 8 });
    loop.cursor = { round: 1, index: 3, offset: 18 };
    expect(loop.launch({ sourceItems: 5, itemsPerSource: 2 }, noop)).toMatchObject({ sourceOffset: 18, sourceCount: 2 });
    expect(loop.cursor).toEqual({ round: 2, index: 0, offset: 0 });
  });

  it('starts a carried cursor without an offset at its index × batch size', () => {
    const loop = prepared(50, { concurrency: 8 });
    loop.cursor = { round: 1, index: 2 };
    expect(loop.launch({ sourceItems: 3, itemsPerSource: 2 }, noop)).toMatchObject({ sourceOffset: 10, sourceCount: 3 });
  });

  it('asks the launch policy nothing while paused, failed, stopped or at the target', () => {
    const loop = prepared(10);
    expect(loop.launchDecision()).toBeDefined();
    loop.paused = true;
    expect(loop.launchDecision()).toBeUndefined();
    loop.paused = false;
    loop.progress.accepted = 10;
    expect(loop.launchDecision()).toBeUndefined();
    loop.progress.accepted = 0;
    loop.fail(new Error('boom'));
    expect(loop.launchDecision()).toBeUndefined();
  });

  it('tells the launch policy what is under way: sized batches not withdrawn, and candidates waiting or accepting', () => {
    const loop = prepared(100, { concurrency: 12, itemsPerChunk: 5, batchSize: 8 });
    const empty = loop.launchDecision();
    // A judged build with nothing under way launches for 100 records at the prior yield.
    expect(empty?.launch.length).toBeGreaterThan(0);
    expect(empty?.estimate.expectedFromUnderWay).toBe(0);

    const a = loop.launch({ sourceItems: 8, itemsPerSource: 5 }, noop);
    const b = loop.launch({ sourceItems: 8, itemsPerSource: 5 }, noop);
    const withTwo = loop.launchDecision();
    expect(withTwo?.estimate.expectedFromUnderWay).toBeGreaterThan(0);

    // The same two batches, one of them withdrawn: only the other counts as under way.
    const withdrawnOne = prepared(100, { concurrency: 12, itemsPerChunk: 5, batchSize: 8 });
    withdrawnOne.launch({ sourceItems: 8, itemsPerSource: 5 }, noop);
    const expectedFromOne = withdrawnOne.launchDecision()?.estimate.expectedFromUnderWay ?? 0;
    expect(withTwo?.estimate.expectedFromUnderWay).toBeCloseTo(2 * expectedFromOne);

    // A processed batch counts by its candidates, also while it is being accepted.
    loop.batchProcessed(a.batchId, summary(a.batchId, 30, { generated: 40 }));
    loop.batchProcessed(b.batchId, summary(b.batchId, 30, { generated: 40 }));
    const waiting = loop.launchDecision()?.estimate.expectedFromUnderWay ?? 0;
    loop.startAcceptance();
    expect(loop.launchDecision()?.estimate.expectedFromUnderWay).toBeCloseTo(waiting);
  });

  it('withdraws each batch still generating once, and counts it no longer', () => {
    const loop = prepared(100, { concurrency: 4 });
    const cancels: string[] = [];
    const a = loop.launch({ sourceItems: 5, itemsPerSource: 2 }, () => cancels.push('a'));
    loop.launch({ sourceItems: 5, itemsPerSource: 2 }, () => cancels.push('b'));
    loop.withdrawInFlight();
    loop.launch({ sourceItems: 5, itemsPerSource: 2 }, () => cancels.push('c'));
    loop.withdrawInFlight();
    expect(cancels).toEqual(['a', 'b', 'c']);
    expect(loop.inFlightCount).toBe(3);
    // A withdrawn batch that ends cancelled is no failure, even with records still missing.
    loop.batchFailed(a.batchId, new Error('cancelled'), true);
    expect(loop.failure).toBeUndefined();
    expect(loop.inFlightCount).toBe(2);
  });
});

describe('BuildLoop: a batch ends', () => {
  it('adds a processed batch to the progress and the evidence, and queues it for acceptance', () => {
    const loop = prepared(10);
    const batch = loop.launch({ sourceItems: 4, itemsPerSource: 2 }, noop);
    loop.batchProcessed(batch.batchId, summary(batch.batchId, 5, { generated: 8, parseFailures: 1, rejected: { judge: 3 }, tokensIn: 100, tokensOut: 50 }));
    expect(loop.progress).toMatchObject({ generated: 8, parseFailures: 1, rejected: { judge: 3 }, tokensIn: 100, tokensOut: 50, batchesInFlight: 0 });
    expect(loop.evidence).toEqual({ ...NO_EVIDENCE, sourceItemsProcessed: 4, generatedProcessed: 8, passedProcessed: 5 });
    expect(loop.readyToAccept.map((b) => b.batchId)).toEqual([batch.batchId]);
    loop.batchProcessed(loop.launch({ sourceItems: 1, itemsPerSource: 2 }, noop).batchId, summary('x', 1, { rejected: { judge: 1, pii: 2 } }));
    expect(loop.progress.rejected).toEqual({ judge: 4, pii: 2 });
  });

  it('adds nothing to the evidence for a full batch of the old sizing', () => {
    const loop = prepared(10);
    const batch = loop.launch(undefined, noop);
    loop.batchProcessed(batch.batchId, summary(batch.batchId, 5));
    expect(loop.evidence).toBe(NO_EVIDENCE);
    expect(loop.progress.generated).toBe(5);
  });

  it('fails the build with the first error of a batch that was not cancelled', () => {
    const loop = prepared(10);
    const a = loop.launch(undefined, noop);
    const b = loop.launch(undefined, noop);
    const first = new Error('first');
    loop.batchFailed(a.batchId, first, false);
    loop.batchFailed(b.batchId, new Error('second'), false);
    expect(loop.failure).toBe(first);
    expect(loop.progress.batchesInFlight).toBe(0);
  });

  it('takes a cancelled batch as a failure unless the target is met or it was withdrawn', () => {
    const missing = prepared(10);
    missing.batchFailed(missing.launch(undefined, noop).batchId, new Error('cancelled'), true);
    expect(missing.failure).toBeDefined();

    const met = prepared(10);
    const batch = met.launch(undefined, noop);
    met.progress.accepted = 10;
    met.batchFailed(batch.batchId, new Error('cancelled'), true);
    expect(met.failure).toBeUndefined();
  });
});

describe('BuildLoop: acceptance', () => {
  it('accepts only ready batches, one acceptance at a time, and none while a target change waits', () => {
    const loop = prepared(10);
    expect(loop.mayAccept()).toBe(false);
    const batch = loop.launch(undefined, noop);
    loop.batchProcessed(batch.batchId, summary(batch.batchId, 3));
    expect(loop.mayAccept()).toBe(true);
    loop.targetChangesWaiting = 1;
    expect(loop.mayAccept()).toBe(false);
    loop.targetChangesWaiting = 0;
    loop.startAcceptance();
    loop.batchProcessed(loop.launch(undefined, noop).batchId, summary('next', 3));
    expect(loop.mayAccept()).toBe(false);
  });

  it('starts an acceptance of every ready batch in the order they finished, numbered across the build', () => {
    const loop = prepared(10, { concurrency: 3 });
    const ids = [0, 1, 2].map(() => loop.launch(undefined, noop).batchId);
    loop.batchProcessed(ids[2], summary(ids[2], 3));
    loop.batchProcessed(ids[0], summary(ids[0], 4));
    loop.progress.accepted = 2;
    const start = loop.startAcceptance();
    expect(start).toEqual({
      workflowId: WORKFLOW_ID,
      batchIds: [ids[2], ids[0]],
      settings: loop.build,
      acceptanceId: `${BUILD_ID}/a1`,
      target: 10,
      remaining: 8,
      progress: { ...loop.progress },
    });
    expect(start.progress).not.toBe(loop.progress);
    expect(loop.accepting).toBe(true);
    expect(loop.readyToAccept).toEqual([]);
    loop.acceptanceEnded();
    loop.batchProcessed(ids[1], summary(ids[1], 3));
    expect(loop.startAcceptance().acceptanceId).toBe(`${BUILD_ID}/a2`);
  });

  it('takes at most 16 batches into one acceptance', () => {
    const loop = prepared(1000, { concurrency: 64 });
    for (let i = 0; i < 20; i++) {
      const batch = loop.launch(undefined, noop);
      loop.batchProcessed(batch.batchId, summary(batch.batchId, 1));
    }
    expect(loop.startAcceptance().batchIds).toHaveLength(16);
    expect(loop.readyToAccept).toHaveLength(4);
  });

  it('never asks an acceptance for less than nothing', () => {
    const loop = prepared(10);
    const batch = loop.launch(undefined, noop);
    loop.batchProcessed(batch.batchId, summary(batch.batchId, 3));
    loop.progress.accepted = 12;
    expect(loop.startAcceptance().remaining).toBe(0);
  });

  it('adds a committed acceptance to the progress and the evidence: the dataset total when it gives one', () => {
    const loop = prepared(10, { concurrency: 3 });
    for (const n of [4, 3]) {
      const batch = loop.launch(undefined, noop);
      loop.batchProcessed(batch.batchId, summary(batch.batchId, n));
    }
    loop.startAcceptance();
    loop.acceptanceCommitted({ batchId: 'b', accepted: 5, surplus: 0, duplicates: { exact: 2 }, acceptedTotal: 5 });
    expect(loop.progress).toMatchObject({ accepted: 5, surplus: 0, batchesDone: 2, rejected: { exact: 2 } });
    expect(loop.evidence).toMatchObject({ candidatesAccepted: 7, keptAccepted: 5 });
    loop.acceptanceEnded();
    expect(loop.accepting).toBe(false);

    // A summary from before dataset totals adds its own count.
    const batch = loop.launch(undefined, noop);
    loop.batchProcessed(batch.batchId, summary(batch.batchId, 6));
    loop.startAcceptance();
    loop.acceptanceCommitted({ batchId: 'c', accepted: 5, surplus: 1, duplicates: {} });
    expect(loop.progress).toMatchObject({ accepted: 10, surplus: 1, batchesDone: 3 });
    expect(loop.evidence).toMatchObject({ candidatesAccepted: 13, keptAccepted: 11 });
  });
});

describe('BuildLoop: cancelling and ending', () => {
  it('cancels every batch still generating once the target is met and nothing waits for acceptance', () => {
    const loop = prepared(10);
    const cancelled: string[] = [];
    const a = loop.launch(undefined, () => cancelled.push('a'));
    loop.launch(undefined, () => cancelled.push('b'));
    loop.batchProcessed(a.batchId, summary(a.batchId, 10));
    expect(loop.targetMetAndAccepted()).toBe(false);
    loop.startAcceptance();
    loop.acceptanceCommitted({ batchId: a.batchId, accepted: 10, surplus: 0, duplicates: {}, acceptedTotal: 10 });
    expect(loop.targetMetAndAccepted()).toBe(false);
    loop.acceptanceEnded();
    expect(loop.targetMetAndAccepted()).toBe(true);
    loop.cancelInFlight();
    expect(cancelled).toEqual(['b']);
  });

  it('ends only when idle, and when paused only with the target met and the pause allowed to complete', () => {
    const loop = prepared(10);
    const asked: boolean[] = [];
    const allow = () => {
      asked.push(true);
      return true;
    };
    expect(loop.isIdle()).toBe(true);
    expect(loop.mayEnd(allow)).toBe(true);
    const batch = loop.launch(undefined, noop);
    expect(loop.mayEnd(allow)).toBe(false);
    loop.batchProcessed(batch.batchId, summary(batch.batchId, 10));
    expect(loop.mayEnd(allow)).toBe(false);
    loop.startAcceptance();
    expect(loop.mayEnd(allow)).toBe(false);
    loop.acceptanceEnded();
    expect(asked).toEqual([]);

    loop.paused = true;
    expect(loop.mayEnd(allow)).toBe(false);
    expect(asked).toEqual([]);
    loop.progress.accepted = 10;
    expect(loop.mayEnd(() => false)).toBe(false);
    expect(loop.mayEnd(allow)).toBe(true);
    expect(asked).toEqual([true]);
  });

  it('counts nothing running once every batch and the acceptance have stopped, whatever waits for acceptance', () => {
    const loop = prepared(10);
    const a = loop.launch(undefined, noop);
    const b = loop.launch(undefined, noop);
    loop.batchProcessed(a.batchId, summary(a.batchId, 2));
    loop.startAcceptance();
    loop.batchFailed(b.batchId, new Error('cancelled'), true);
    expect(loop.nothingRunning()).toBe(false);
    loop.acceptanceEnded();
    expect(loop.nothingRunning()).toBe(true);
    loop.batchProcessed(loop.launch(undefined, noop).batchId, summary('c', 2));
    expect(loop.nothingRunning()).toBe(true);
    expect(loop.isIdle()).toBe(false);
  });

  it('stops at the target first, then at the budget, then after the rounds or the sources', () => {
    const atTarget = prepared(10, { tokenBudget: 10 });
    atTarget.progress.accepted = 10;
    atTarget.progress.tokensIn = 10;
    expect(atTarget.settleStopReason()).toBe('target_reached');

    const budget = prepared(10, { tokenBudget: 10 });
    budget.progress.tokensIn = 10;
    budget.cursor = { round: 9, index: 0 };
    expect(budget.settleStopReason()).toBe('token_budget');

    const rounds = prepared(10);
    rounds.cursor = { round: 4, index: 0 };
    expect(rounds.settleStopReason()).toBe('max_rounds');
    expect(rounds.progress.stopReason).toBe('max_rounds');

    const noSources = prepared(10, { batchesPerRound: 0 });
    noSources.cursor = { round: 4, index: 0 };
    expect(noSources.settleStopReason()).toBe('sources_exhausted');

    const goesOn = prepared(10);
    expect(goesOn.settleStopReason()).toBeUndefined();
    expect(goesOn.progress.stopReason).toBeUndefined();
  });

  it('wakes up when anything the loop decides on changes, and not before', () => {
    const changes: [string, (loop: BuildLoop) => void][] = [
      ['a batch launched', (l) => l.launch(undefined, noop)],
      ['a batch ready', (l) => l.readyToAccept.push(summary('x', 1))],
      ['an acceptance started', (l) => (l.accepting = true)],
      ['paused', (l) => (l.paused = true)],
      ['a new target', (l) => (l.progress.target = 11)],
      ['a new concurrency', (l) => (l.progress.concurrency = 3)],
      ['a target change waiting', (l) => l.targetChangesWaiting++],
      ['a failure', (l) => l.fail(new Error('boom'))],
    ];
    for (const [name, change] of changes) {
      const loop = prepared(10);
      const changed = loop.changedSinceNow();
      loop.progress.generated += 5;
      expect(changed(), `before ${name}`).toBe(false);
      change(loop);
      expect(changed(), name).toBe(true);
    }
  });

  it('records how the build ended', () => {
    const done = prepared(10);
    done.launch(undefined, noop);
    done.complete();
    expect(done.progress).toMatchObject({ status: 'completed', batchesInFlight: 0 });

    const cancelled = prepared(10);
    cancelled.launch(undefined, noop);
    cancelled.cancelled();
    expect(cancelled.progress).toMatchObject({ status: 'cancelled', stopReason: 'cancelled', batchesInFlight: 1 });
    cancelled.allBatchesStopped();
    expect(cancelled.progress.batchesInFlight).toBe(0);

    const failed = prepared(10);
    failed.failed('LlmError: endpoint down');
    expect(failed.progress).toMatchObject({ status: 'failed', stopReason: 'failed', batchesInFlight: 0, error: 'LlmError: endpoint down' });
  });
});
