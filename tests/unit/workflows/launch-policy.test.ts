import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/infra/common/seeded-random';
import {
  decideLaunch,
  defaultPrior,
  NO_EVIDENCE,
  withAcceptance,
  withProcessedBatch,
  type LaunchEvidence,
  type LaunchState,
} from '../../../src/workflows/launch-policy';

/** A build as the workflow sees it at the start: nothing under way, nothing observed, 12 batches of 8 chunks × 5 items. */
function start(target: number, overrides: Partial<LaunchState> = {}): LaunchState {
  return {
    target,
    accepted: 0,
    inFlightSourceItems: 0,
    inFlightBatches: 0,
    pendingCandidates: 0,
    evidence: NO_EVIDENCE,
    prior: defaultPrior('judge'),
    concurrency: 12,
    batchSize: 8,
    itemsPerSource: 5,
    ...overrides,
  };
}

const candidatesOf = (d: ReturnType<typeof decideLaunch>) => d.launch.reduce((n, b) => n + b.sourceItems * b.itemsPerSource, 0);

describe('decideLaunch: the first wave', () => {
  it('launches only what a small target needs at the prior yield, not a wave sized by concurrency', () => {
    const d = decideLaunch(start(20));
    const candidates = candidatesOf(d);
    // 20 records at the judged prior (0.8 × 0.95 = 0.76) are ~26 candidates; the aim stays a deviation below.
    expect(candidates).toBeGreaterThanOrEqual(18);
    expect(candidates).toBeLessThanOrEqual(27);
    expect(d.launch).toHaveLength(1);
    expect(d.launch[0].sourceItems).toBeLessThan(8);
    expect(d.cancelInFlight).toBe(false);
  });

  it('launches a few full batches for a mid-sized target', () => {
    const d = decideLaunch(start(150));
    expect(d.launch.length).toBeGreaterThanOrEqual(4);
    expect(d.launch.length).toBeLessThan(12);
    expect(candidatesOf(d)).toBeLessThanOrEqual(Math.ceil((150 * 1.04) / 0.76) + 40);
  });

  it('fills every batch slot for a large target', () => {
    const d = decideLaunch(start(3000));
    expect(d.launch).toHaveLength(12);
    expect(d.launch.every((b) => b.sourceItems === 8 && b.itemsPerSource === 5)).toBe(true);
  });

  it('fills only the slots left free by batches already generating', () => {
    const d = decideLaunch(start(3000, { inFlightBatches: 9, inFlightSourceItems: 72 }));
    expect(d.launch).toHaveLength(3);
  });

  it('asks a single chunk for fewer items when only a few candidates are wanted', () => {
    // 4 records at the unscored prior, which launching reads optimistically (nearly every candidate kept): 4 candidates.
    const d = decideLaunch(start(4, { prior: defaultPrior('none') }));
    expect(d.launch).toEqual([{ sourceItems: 1, itemsPerSource: 4 }]);
  });

  it('launches more for the same target when the scoring is expected to reject more', () => {
    expect(candidatesOf(decideLaunch(start(50, { prior: defaultPrior('judge') })))).toBeGreaterThan(
      candidatesOf(decideLaunch(start(50, { prior: defaultPrior('none') }))),
    );
  });
});

describe('decideLaunch: evidence', () => {
  it('ramps up when the first batches pass fewer candidates than the prior said', () => {
    // The first batch (6 chunks, 30 candidates) is processed and only 12 passed the judge: 40 %.
    const low = withProcessedBatch(NO_EVIDENCE, { sourceItems: 6, generated: 30, candidates: 12 });
    const d = decideLaunch(start(20, { evidence: low, pendingCandidates: 12 }));
    expect(d.estimate.passRate).toBeLessThan(0.6);
    // 12 pending are worth ~11 records; the rest are launched for at the lower yield: a second wave.
    expect(candidatesOf(d)).toBeGreaterThanOrEqual(5);
    // For 50 records, a judge that passed 28 of 30 calls for a much smaller second wave than one that passed 12.
    const high = withProcessedBatch(NO_EVIDENCE, { sourceItems: 6, generated: 30, candidates: 28 });
    const afterHigh = candidatesOf(decideLaunch(start(50, { evidence: high, pendingCandidates: 28 })));
    const afterLow = candidatesOf(decideLaunch(start(50, { evidence: low, pendingCandidates: 12 })));
    expect(afterLow).toBeGreaterThan(afterHigh + 20);
  });

  it('trusts a prior from earlier builds of the dataset', () => {
    const low = decideLaunch(start(100, { prior: { pass: 0.3, keep: 0.9 } }));
    const high = decideLaunch(start(100, { prior: { pass: 0.9, keep: 0.9 } }));
    expect(candidatesOf(low)).toBeGreaterThan(2 * candidatesOf(high));
  });

  it('counts candidates per source item as observed (parse failures, seed records with fewer variants)', () => {
    const evidence = withProcessedBatch(NO_EVIDENCE, { sourceItems: 8, generated: 16, candidates: 16 });
    const d = decideLaunch(start(500, { evidence, prior: defaultPrior('none') }));
    expect(d.estimate.candidatesPerSourceItem).toBe(2);
  });

  it('learns the duplicate rate from acceptances', () => {
    const evidence = withAcceptance(NO_EVIDENCE, { candidates: 200, kept: 100 });
    expect(decideLaunch(start(50, { evidence })).estimate.keepRate).toBeLessThan(0.6);
  });
});

describe('decideLaunch: stopping', () => {
  it('launches nothing while what is under way is expected to cover what is missing', () => {
    const d = decideLaunch(start(20, { accepted: 10, inFlightBatches: 1, inFlightSourceItems: 4 }));
    expect(d.launch).toEqual([]);
    expect(d.cancelInFlight).toBe(false);
  });

  it('launches nothing once the target is met', () => {
    expect(decideLaunch(start(20, { accepted: 20 })).launch).toEqual([]);
  });

  it('always launches something when records are missing and nothing is under way', () => {
    const d = decideLaunch(start(1000, { accepted: 999 }));
    expect(candidatesOf(d)).toBeGreaterThanOrEqual(1);
  });

  it('cancels batches still generating when processed candidates will very probably meet the target', () => {
    const evidence = withAcceptance(NO_EVIDENCE, { candidates: 400, kept: 380 });
    const d = decideLaunch(start(100, { accepted: 80, pendingCandidates: 40, inFlightBatches: 3, inFlightSourceItems: 24, evidence }));
    expect(d.cancelInFlight).toBe(true);
    expect(d.launch).toEqual([]);
  });

  it('keeps them when the processed candidates may fall short', () => {
    const evidence = withAcceptance(NO_EVIDENCE, { candidates: 400, kept: 380 });
    const d = decideLaunch(start(100, { accepted: 80, pendingCandidates: 22, inFlightBatches: 3, inFlightSourceItems: 24, evidence }));
    expect(d.cancelInFlight).toBe(false);
  });
});

/**
 * A whole build against a simulated endpoint: each wave launches what the policy says, every candidate passes the
 * judge and dedup by a fixed chance, batches are accepted in order, up to the target. Surplus is what passed but
 * was not needed. The policy must keep it within 10 % of the target at every size, and the endpoint full while a
 * large target still needs many batches.
 */
function simulate(target: number, passRate: number, keepRate: number, seed: number) {
  const random = seededRandom(seed);
  let accepted = 0;
  let surplus = 0;
  let generated = 0;
  let evidence: LaunchEvidence = NO_EVIDENCE;
  let waves = 0;
  const firstWaveBatches: number[] = [];
  while (accepted < target && waves < 200) {
    const decision = decideLaunch({ ...start(target, { prior: defaultPrior(passRate < 0.9 ? 'judge' : 'none') }), accepted, evidence });
    if (waves === 0) firstWaveBatches.push(decision.launch.length);
    waves++;
    for (const batch of decision.launch) {
      const made = batch.sourceItems * batch.itemsPerSource;
      generated += made;
      let passed = 0;
      for (let i = 0; i < made; i++) if (random() < passRate) passed++;
      evidence = withProcessedBatch(evidence, { sourceItems: batch.sourceItems, generated: made, candidates: passed });
      let kept = 0;
      for (let i = 0; i < passed; i++) if (random() < keepRate) kept++;
      evidence = withAcceptance(evidence, { candidates: passed, kept });
      const take = Math.min(kept, target - accepted);
      accepted += take;
      surplus += kept - take;
    }
  }
  return { accepted, surplus, generated, waves, firstWaveBatches: firstWaveBatches[0] };
}

describe('decideLaunch over whole simulated builds', () => {
  for (const target of [20, 50, 150, 500, 3000]) {
    for (const [label, pass] of [
      ['unscored', 1],
      ['judged', 0.7],
    ] as const) {
      it(`${label}, target ${target}: exactly the target with surplus ≤ 10 %`, () => {
        for (let seed = 1; seed <= 10; seed++) {
          const run = simulate(target, pass, 0.85, seed);
          expect(run.accepted).toBe(target);
          expect(run.surplus / target).toBeLessThanOrEqual(0.1);
        }
      });
    }
  }

  it('a 3,000-record build starts with the endpoint full', () => {
    expect(simulate(3000, 0.7, 0.85, 1).firstWaveBatches).toBe(12);
  });
});
