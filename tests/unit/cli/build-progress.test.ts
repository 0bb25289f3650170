import { describe, expect, it } from 'vitest';
import { buildExitCode, buildSummary, formatDuration, formatRate, formatReasons, progressLine, RateMeter } from '../../../src/cli/build-progress';
import type { BuildProgress } from '../../../src/workflows/build-input';

function progress(overrides: Partial<BuildProgress> = {}): BuildProgress {
  return {
    datasetId: 'docs',
    status: 'running',
    target: 100,
    accepted: 0,
    generated: 0,
    parseFailures: 0,
    rejected: {},
    surplus: 0,
    round: 1,
    batchesDone: 0,
    batchesInFlight: 2,
    tokensIn: 0,
    tokensOut: 0,
    concurrency: 4,
    continuedAsNew: 0,
    ...overrides,
  };
}

describe('RateMeter', () => {
  it('measures records and tokens per second over its window and derives the ETA', () => {
    const meter = new RateMeter(30_000);
    meter.add(progress({ accepted: 10, tokensIn: 1000, tokensOut: 0 }), 0);
    meter.add(progress({ accepted: 30, tokensIn: 4000, tokensOut: 1000 }), 10_000);
    const rates = meter.rates(100);
    expect(rates.recordsPerSecond).toBeCloseTo(2);
    expect(rates.tokensPerSecond).toBeCloseTo(400);
    expect(rates.etaSeconds).toBeCloseTo(35);
  });

  it('forgets samples older than the window, so a stall shows as a falling rate', () => {
    const meter = new RateMeter(10_000);
    meter.add(progress({ accepted: 0 }), 0);
    meter.add(progress({ accepted: 50 }), 5_000);
    meter.add(progress({ accepted: 50 }), 20_000);
    meter.add(progress({ accepted: 50 }), 30_000);
    const rates = meter.rates(100);
    expect(rates.recordsPerSecond).toBe(0);
    expect(rates.etaSeconds).toBeUndefined();
  });

  it('knows nothing from a single sample, and an ETA of 0 once the target is met', () => {
    const meter = new RateMeter();
    meter.add(progress({ accepted: 5 }), 1_000);
    expect(meter.rates(100)).toEqual({ recordsPerSecond: 0, tokensPerSecond: 0 });
    meter.add(progress({ accepted: 100 }), 2_000);
    expect(meter.rates(100).etaSeconds).toBe(0);
  });
});

describe('formatting', () => {
  it('durations read as seconds, minutes or hours', () => {
    expect(formatDuration(undefined)).toBe('?');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(3725)).toBe('1h02m');
  });

  it('rates keep two significant decimals when small', () => {
    expect(formatRate(0)).toBe('0');
    expect(formatRate(0.456)).toBe('0.46');
    expect(formatRate(12.34)).toBe('12.3');
    expect(formatRate(1234.5)).toBe('1,235');
  });

  it('reject reasons are listed most frequent first', () => {
    expect(formatReasons({ exact_duplicate: 2, low_score: 5, empty: 0 })).toBe('low_score 5, exact_duplicate 2');
  });

  it('a progress line and a summary carry every count', () => {
    const p = progress({
      accepted: 40,
      target: 40,
      generated: 52,
      rejected: { low_score: 4, exact_duplicate: 3 },
      surplus: 5,
      round: 3,
      batchesDone: 12,
      tokensIn: 12345,
      tokensOut: 6789,
      status: 'completed',
      stopReason: 'target_reached',
    });
    expect(progressLine(p, { recordsPerSecond: 2, tokensPerSecond: 300, etaSeconds: 0 })).toBe(
      '40/40 accepted | 52 generated | 7 rejected | round 3 | 2 batches in flight | completed | 2.00 rec/s | 300 tok/s | ETA 0s',
    );
    expect(buildSummary(p, 42)).toBe(
      [
        'stopped: target reached: 40/40 accepted',
        'generated 52, accepted 40, rejected 7 (low_score 4, exact_duplicate 3), surplus 5, unparseable 0',
        'tokens 12,345 in / 6,789 out; 3 rounds, 12 batches; 42s',
      ].join('\n'),
    );
  });
});

describe('buildExitCode', () => {
  it('is 0 at the target, 3 when a build stops short, 1 when cancelled', () => {
    expect(buildExitCode(progress({ accepted: 100, stopReason: 'target_reached' }))).toBe(0);
    expect(buildExitCode(progress({ accepted: 60, stopReason: 'max_rounds' }))).toBe(3);
    expect(buildExitCode(progress({ accepted: 60, stopReason: 'token_budget' }))).toBe(3);
    expect(buildExitCode(progress({ accepted: 60, stopReason: 'cancelled', status: 'cancelled' }))).toBe(1);
  });

  it('create runs one round on purpose: stopping after it is success', () => {
    expect(buildExitCode(progress({ accepted: 9, target: 25, stopReason: 'max_rounds' }), { shortIsSuccess: true })).toBe(0);
  });
});
