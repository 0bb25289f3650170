// How a build's progress reads on a terminal: rates over a sliding window, an ETA, one-line and final summaries,
// and the exit code a finished build deserves. Pure functions, so they are unit-tested without a server.
import path from 'node:path';
import type { DatacreekConfig } from '../infra/config';
import type { BuildProgress, StopReason } from '../workflows/build-input';
import { EXIT } from './output';

export interface ProgressRates {
  /** Accepted records per second over the window. */
  recordsPerSecond: number;
  /** Prompt + completion tokens per second over the window. */
  tokensPerSecond: number;
  /** Seconds until the target at the current rate; undefined while the rate is unknown or zero. */
  etaSeconds?: number;
}

interface Sample {
  at: number;
  accepted: number;
  tokens: number;
}

/**
 * Rates from the samples of the last `windowMs`: long enough to smooth the step of one accepted batch, short
 * enough to follow a change of concurrency or a paused build.
 */
export class RateMeter {
  private samples: Sample[] = [];

  constructor(private readonly windowMs = 30_000) {}

  add(progress: Pick<BuildProgress, 'accepted' | 'tokensIn' | 'tokensOut'>, at = Date.now()): void {
    this.samples.push({ at, accepted: progress.accepted, tokens: progress.tokensIn + progress.tokensOut });
    // Keep one sample older than the window, so the window is always fully covered.
    while (this.samples.length > 2 && this.samples[1].at <= at - this.windowMs) this.samples.shift();
  }

  rates(target: number): ProgressRates {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return { recordsPerSecond: 0, tokensPerSecond: 0 };
    const seconds = (last.at - first.at) / 1000;
    const recordsPerSecond = Math.max(0, (last.accepted - first.accepted) / seconds);
    const tokensPerSecond = Math.max(0, (last.tokens - first.tokens) / seconds);
    const remaining = Math.max(0, target - last.accepted);
    const etaSeconds = remaining === 0 ? 0 : recordsPerSecond > 0 ? remaining / recordsPerSecond : undefined;
    return { recordsPerSecond, tokensPerSecond, etaSeconds };
  }
}

/** 75 → "1m15s", 3725 → "1h02m"; unknown → "?". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0';
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(perSecond >= 10 ? 1 : 2);
}

/** The model a build generates with, as progress shows it: the local GGUF's name, or the endpoint's model. */
export function generatingModel(config: Pick<DatacreekConfig, 'llm'>): string {
  if (config.llm.provider === 'local') return path.basename(config.llm.local_model_path).replace(/\.gguf$/i, '');
  return config.llm.model;
}

const totalRejected = (p: BuildProgress) => Object.values(p.rejected).reduce((n, v) => n + v, 0);

/** `low_score 4, exact_duplicate 3`, most frequent first. */
export function formatReasons(reasons: Record<string, number>): string {
  return Object.entries(reasons)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
}

/** One line for logs and non-interactive output. */
export function progressLine(p: BuildProgress, rates?: ProgressRates): string {
  const parts = [
    `${p.accepted}/${p.target} accepted`,
    `${p.generated} generated`,
    `${totalRejected(p)} rejected`,
    `round ${p.round}`,
    `${p.batchesInFlight} batch${p.batchesInFlight === 1 ? '' : 'es'} in flight`,
    p.status,
  ];
  if (rates) {
    parts.push(`${formatRate(rates.recordsPerSecond)} rec/s`, `${formatRate(rates.tokensPerSecond)} tok/s`, `ETA ${formatDuration(rates.etaSeconds)}`);
  }
  return parts.join(' | ');
}

const STOP_REASONS: Record<StopReason, string> = {
  target_reached: 'target reached',
  max_rounds: 'round limit reached before the target',
  token_budget: 'token budget spent before the target',
  sources_exhausted: 'nothing left to generate from before the target',
  cancelled: 'cancelled',
  failed: 'failed',
};

/** The closing lines of a build: why it stopped, and every count. */
export function buildSummary(p: BuildProgress, elapsedSeconds?: number): string {
  const reason = p.stopReason ? STOP_REASONS[p.stopReason] : p.status;
  const rejected = totalRejected(p);
  const lines = [
    `stopped: ${reason}: ${p.accepted}/${p.target} accepted`,
    `generated ${p.generated}, accepted ${p.accepted}, rejected ${rejected}${rejected ? ` (${formatReasons(p.rejected)})` : ''}, surplus ${p.surplus}, unparseable ${p.parseFailures}`,
    `tokens ${p.tokensIn.toLocaleString('en-US')} in / ${p.tokensOut.toLocaleString('en-US')} out; ${p.round} round${p.round === 1 ? '' : 's'}, ${p.batchesDone} batches` +
      (elapsedSeconds !== undefined ? `; ${formatDuration(elapsedSeconds)}` : ''),
  ];
  return lines.join('\n');
}

/**
 * 0 when the build reached its target; 3 (partial) when it stopped short (round limit, budget, sources);
 * 1 when it was cancelled. `create` runs one round on purpose, so stopping after it is success there.
 */
export function buildExitCode(p: BuildProgress, opts: { shortIsSuccess?: boolean } = {}): number {
  if (p.stopReason === 'cancelled' || p.status === 'cancelled') return EXIT.failure;
  if (p.accepted >= p.target || p.stopReason === 'target_reached') return EXIT.ok;
  return opts.shortIsSuccess ? EXIT.ok : EXIT.partial;
}
