// Stand-ins for the build's activities, for workflow tests: plain functions that keep a tiny simulated dataset
// in memory (which batches ran, how many records each left, how many are accepted, which build epoch is next) and
// return the same small summaries the real activities do, with the same rules: a build opens the next epoch and
// counts what the dataset already holds, and an acceptance takes at most the target minus what is accepted. Gates let a test hold a batch or an acceptance at a chosen moment, which is
// how the races of the live controls are made to happen on purpose.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { BuildActivities } from '../../src/activities/build';
import type { BuildProgress } from '../../src/workflows/build-input';
import type { AcceptSummary, BatchSummary, BuildSettings } from '../../src/workflows/build-settings';

type Args<K extends keyof BuildActivities> = Parameters<BuildActivities[K]>[0];

export function buildSettings(overrides: Partial<BuildSettings> = {}): BuildSettings {
  return {
    datasetId: 'wf-test',
    ownerId: 'local',
    type: 'qa',
    target: 10,
    maxRounds: 20,
    tokenBudget: 0,
    batchSize: 2,
    concurrency: 2,
    itemsPerChunk: 2,
    chunkCount: 20,
    seedCount: 0,
    batchesPerRound: 10,
    scoring: { mode: 'none', threshold: 7, rewardThreshold: 0 },
    dedup: { exact: true, minhash: { enabled: false, threshold: 0.8 }, semantic: { enabled: false, threshold: 0.9 } },
    filters: [],
    temperature: 0.7,
    maxTokens: 256,
    heartbeatTimeoutMs: 60_000,
    ...overrides,
  };
}

/** A promise a test opens when it wants: `wait()` resolves once `open()` was called (at once if it already was). */
export class Gate {
  private opened = false;
  private waiters: Array<() => void> = [];
  /** Callers waiting now. */
  get waiting(): number {
    return this.waiters.length;
  }
  wait(): Promise<void> {
    if (this.opened) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  open(): void {
    this.opened = true;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

export interface FakeBuildOptions {
  settings?: Partial<BuildSettings>;
  /** Candidates a batch leaves for acceptance (after its own filtering). */
  candidatesPerBatch?: number;
  /** Tokens a batch spends, in and out. */
  tokensPerBatch?: { in: number; out: number };
  /** Makes a batch fail: return the error to throw. */
  failBatch?: (args: Args<'processBatch'>) => Error | undefined;
}

export class FakeBuild {
  readonly settings: BuildSettings;
  readonly prepareCalls: Args<'prepareBuild'>[] = [];
  /** Every processBatch attempt, in the order they started. */
  readonly batchCalls: Args<'processBatch'>[] = [];
  readonly acceptCalls: Args<'acceptBatch'>[] = [];
  readonly finalizeCalls: Args<'finalizeBuild'>[] = [];
  /** What the simulated database holds as accepted. */
  accepted = 0;
  /** Epochs opened so far (one per build of the dataset). */
  epochs = 0;
  /** Batches that saw the workflow's cancel while held at the gate. */
  cancelledBatches = 0;
  /** When set, batches wait for it before they return (and heartbeat meanwhile, so a cancel reaches them). */
  batchGate?: Gate;
  /** Batches that run freely before `batchGate` starts holding them (0: it holds every batch). */
  freeBatches = 0;
  /** When set, acceptances wait for it before they accept. */
  acceptGate?: Gate;
  /** When set, finalizations wait for it before they finish. */
  finalizeGate?: Gate;
  /** Finalizations that ran to their end (a finalization the workflow abandoned is in finalizeCalls only). */
  readonly finalized: Args<'finalizeBuild'>[] = [];
  private readonly candidates = new Map<string, number>();

  constructor(private readonly options: FakeBuildOptions = {}) {
    this.settings = buildSettings(options.settings);
  }

  /** Batches launched, by id (a retried attempt counts once). */
  get launchedBatchIds(): string[] {
    return [...new Set(this.batchCalls.map((c) => c.batchId))];
  }

  /** Batches launched, as `r<round>/b<index>` (a retried attempt counts once). */
  get launchedBatches(): string[] {
    return [...new Set(this.batchCalls.map((c) => `r${c.round}/b${c.index}`))];
  }

  /** Candidates all finished batches left for acceptance. */
  get candidatesOffered(): number {
    return [...this.candidates.values()].reduce((sum, n) => sum + n, 0);
  }

  activities(): BuildActivities {
    return {
      prepareBuild: async (args) => {
        this.prepareCalls.push(args);
        if (args.input.fresh) this.accepted = 0;
        const epoch = ++this.epochs;
        const firstRound = Math.max(0, ...this.batchCalls.map((c) => c.round)) + 1;
        const settings: BuildSettings = {
          ...this.settings,
          target: args.input.target,
          datasetId: args.input.datasetId,
          buildId: `${args.workflowId}/e${epoch}`,
          epoch,
          firstRound,
          acceptedBefore: this.accepted,
          fresh: args.input.fresh ?? false,
        };
        return settings;
      },
      processBatch: async (args) => {
        this.batchCalls.push(args);
        const error = this.options.failBatch?.(args);
        if (error) throw error;
        if (this.batchGate && this.batchCalls.length > this.freeBatches) await this.untilOpenOrCancelled(this.batchGate);
        const candidates = this.options.candidatesPerBatch ?? 2;
        this.candidates.set(args.batchId, candidates);
        const tokens = this.options.tokensPerBatch ?? { in: 10, out: 10 };
        const summary: BatchSummary = {
          batchId: args.batchId,
          round: args.round,
          index: args.index,
          generated: candidates,
          parseFailures: 0,
          rejected: {},
          candidates,
          tokensIn: tokens.in,
          tokensOut: tokens.out,
        };
        return summary;
      },
      acceptBatch: async (args) => {
        this.acceptCalls.push(args);
        if (this.acceptGate) await this.acceptGate.wait();
        const ids = args.batchIds ?? (args.batchId ? [args.batchId] : []);
        const offered = ids.reduce((sum, id) => sum + (this.candidates.get(id) ?? 0), 0);
        // Like the real acceptance: capped by what the dataset holds, not by what the workflow believes.
        const accepted = Math.min(offered, Math.max(0, (args.target ?? this.accepted + args.remaining) - this.accepted));
        this.accepted += accepted;
        const summary: AcceptSummary = {
          batchId: ids[0],
          batchIds: ids,
          accepted,
          surplus: offered - accepted,
          duplicates: {},
          acceptedTotal: this.accepted,
        };
        return summary;
      },
      finalizeBuild: async (args) => {
        this.finalizeCalls.push(args);
        if (this.finalizeGate) await this.finalizeGate.wait();
        this.finalized.push(args);
        // No records here: what the workflow counted is what there is.
        return { generated: args.progress.generated, surplus: args.progress.surplus };
      },
    } as BuildActivities;
  }

  private async untilOpenOrCancelled(gate: Gate): Promise<void> {
    const context = Context.current();
    const beat = setInterval(() => context.heartbeat(), 200);
    try {
      await Promise.race([gate.wait(), context.cancelled]);
    } catch (err) {
      this.cancelledBatches++;
      throw err;
    } finally {
      clearInterval(beat);
    }
  }
}

/** A non-retryable failure, as the real activities raise for bad input. */
export function nonRetryable(message: string): Error {
  return ApplicationFailure.nonRetryable(message, 'InvalidInput');
}

export type { BuildProgress };
