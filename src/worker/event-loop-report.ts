// How long the worker's event loop was blocked, logged at a fixed interval. Everything the worker does for
// Temporal (heartbeats, polling, signals) waits behind a blocked loop, so this is the figure that shows whether
// some work (a parser, a tokenizer) is hogging it.
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** The log line's prefix; tests and operators grep for it. */
export const EVENT_LOOP_REPORT_PREFIX = '[worker] event loop delay';

/** Starts reporting every `intervalMs` (when > 0); returns the function that stops it. */
export function reportEventLoopDelay(intervalMs: number, log: (line: string) => void): () => void {
  if (intervalMs <= 0) return () => {};
  const interval = monitorEventLoopDelay({ resolution: 10 });
  const sinceStart = monitorEventLoopDelay({ resolution: 10 });
  interval.enable();
  sinceStart.enable();
  const timer = setInterval(() => {
    const ms = (ns: number) => (ns / 1e6).toFixed(1);
    log(
      `${EVENT_LOOP_REPORT_PREFIX} at ${new Date().toISOString()}: p99 ${ms(interval.percentile(99))} ms, max ${ms(interval.max)} ms ` +
        `over the last ${intervalMs} ms; since start p99 ${ms(sinceStart.percentile(99))} ms, max ${ms(sinceStart.max)} ms`,
    );
    interval.reset();
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    interval.disable();
    sinceStart.disable();
  };
}
