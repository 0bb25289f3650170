// Following a running build until it ends: polls the `progress` query, draws a progress bar with rates and an
// ETA (or plain lines when stderr is not a terminal), and returns how the build ended. Ctrl-C detaches: the
// build goes on in Temporal, and `datacreek status <dataset> --follow` picks it up again.
import { Presets, SingleBar } from 'cli-progress';
import type { Client } from '@temporalio/client';
import type { BuildProgress } from '../workflows/build-input';
import { formatDuration, formatRate, progressLine, RateMeter, type ProgressRates } from './build-progress';
import { describeWorkflowFailure, isCancelled, queryProgress, type FailureView } from '../client';

export type FollowOutcome =
  | { kind: 'completed'; progress: BuildProgress }
  | { kind: 'cancelled'; progress?: BuildProgress }
  | { kind: 'failed'; failure: FailureView; progress?: BuildProgress }
  | { kind: 'detached'; progress?: BuildProgress };

/** `bar` on a terminal, `lines` when stderr is a pipe or file, `none` for --json. */
export type FollowDisplay = 'bar' | 'lines' | 'none';

export interface FollowOptions {
  display: FollowDisplay;
  /** Named in the message shown while no worker answers. */
  taskQueue: string;
  /** The model generating, shown beside the counts. */
  model?: string;
  pollMs?: number;
}

export function displayFor(json: boolean | undefined): FollowDisplay {
  if (json) return 'none';
  return process.stderr.isTTY ? 'bar' : 'lines';
}

/** Seconds without an answer to the progress query before we say that no worker seems to poll. */
const NO_WORKER_NOTICE_MS = 5_000;

export async function followBuild(client: Client, workflowId: string, opts: FollowOptions): Promise<FollowOutcome> {
  const pollMs = opts.pollMs ?? 1_000;
  const handle = client.workflow.getHandle(workflowId);
  let settled: { ok: true; value: BuildProgress } | { ok: false; error: unknown } | undefined;
  const finished = handle.result().then(
    (value: BuildProgress) => {
      settled = { ok: true, value };
    },
    (error: unknown) => {
      settled = { ok: false, error };
    },
  );

  let detach = () => {};
  let detached = false;
  const interrupted = new Promise<void>((resolve) => {
    detach = () => {
      detached = true;
      resolve();
    };
  });
  process.once('SIGINT', detach);

  const view = createView(opts.display, opts.model);
  const meter = new RateMeter();
  const startedWatching = Date.now();
  let last: BuildProgress | undefined;
  try {
    while (!settled && !detached) {
      const progress = await Promise.race([queryProgress(client, workflowId), interrupted, finished]);
      if (progress) {
        last = progress;
        meter.add(progress);
      }
      if (settled || detached) break;
      if (progress) {
        view.update(progress, meter.rates(progress.target));
      } else if (!last && Date.now() - startedWatching > NO_WORKER_NOTICE_MS) {
        view.notice(`waiting for a worker on task queue "${opts.taskQueue}" (start one with \`datacreek dev\` or \`datacreek worker\`)`);
      }
      await Promise.race([sleep(pollMs), interrupted, finished]);
    }
  } finally {
    process.off('SIGINT', detach);
    if (settled?.ok) view.update(settled.value, meter.rates(settled.value.target));
    view.stop();
  }

  if (detached && !settled) return { kind: 'detached', progress: last };
  if (settled!.ok) return { kind: 'completed', progress: settled!.value };
  const { error } = settled!;
  if (isCancelled(error)) return { kind: 'cancelled', progress: last && { ...last, status: 'cancelled', stopReason: 'cancelled' } };
  return { kind: 'failed', failure: describeWorkflowFailure(error), progress: last };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

interface ProgressView {
  update(progress: BuildProgress, rates: ProgressRates): void;
  notice(message: string): void;
  stop(): void;
}

function createView(display: FollowDisplay, model: string | undefined): ProgressView {
  if (display === 'bar') return barView(model);
  if (display === 'lines') return linesView(model);
  return { update() {}, notice() {}, stop() {} };
}

function barView(model: string | undefined): ProgressView {
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `{bar} {value}/{total} accepted | {records} rec/s | {tokens} tok/s | ETA {etaText} | {state}${model ? ` | ${model}` : ''}`,
      hideCursor: true,
      barsize: 28,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  let started = false;
  let noticed = false;
  return {
    update(p, rates) {
      const payload = {
        records: formatRate(rates.recordsPerSecond),
        tokens: formatRate(rates.tokensPerSecond),
        etaText: formatDuration(rates.etaSeconds),
        state: `${p.status}, round ${p.round}, ${p.batchesInFlight} in flight`,
      };
      if (!started) {
        bar.start(p.target, p.accepted, payload);
        started = true;
      } else {
        bar.setTotal(p.target);
        bar.update(p.accepted, payload);
      }
    },
    notice(message) {
      if (started || noticed) return;
      noticed = true;
      process.stderr.write(`${message}\n`);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Plain lines for logs: one whenever the counts change, at most one every two seconds. */
function linesView(model: string | undefined): ProgressView {
  let lastLine = '';
  let lastAt = 0;
  let noticed = false;
  return {
    update(p, rates) {
      const counts = progressLine(p);
      if (counts === lastLine || Date.now() - lastAt < 2_000) return;
      lastLine = counts;
      lastAt = Date.now();
      process.stderr.write(`${progressLine(p, rates)}${model ? ` | ${model}` : ''}\n`);
    },
    notice(message) {
      if (noticed) return;
      noticed = true;
      process.stderr.write(`${message}\n`);
    },
    stop() {},
  };
}
