// Heartbeats on a timer. An activity heartbeats when it makes progress, but one LLM call to a slow local model
// can take minutes (timeout × retries), far longer than the heartbeat timeout: heartbeating only between calls
// made Temporal declare live attempts dead and start new ones beside them, on the same model slots. A timer keeps
// a live attempt alive whatever its calls are doing; a dead worker still stops heartbeating at once.
import { Context } from '@temporalio/activity';

/** The details each running activity reported last, re-sent by its timer so the Web UI keeps showing them. */
const lastDetails = new WeakMap<Context, unknown>();

/** Reports progress: sent now, and repeated by the timer until the next report. */
export function reportProgress(ctx: Context, details: unknown): void {
  lastDetails.set(ctx, details);
  ctx.heartbeat(details);
}

/** How often the timer beats: a third of the heartbeat timeout, so two beats may be lost before it expires. */
export function heartbeatInterval(heartbeatTimeoutMs: number): number {
  return Math.max(200, Math.min(10_000, Math.floor(heartbeatTimeoutMs / 3)));
}

/** Runs `work` while a timer heartbeats for it (only for activities scheduled with a heartbeat timeout). */
export async function withTimerHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timeout = ctx.info.heartbeatTimeoutMs;
  if (!timeout) return work();
  const timer = setInterval(() => ctx.heartbeat(lastDetails.get(ctx)), heartbeatInterval(timeout));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Wraps every activity of a set so each one heartbeats on a timer while it runs. */
export function heartbeatingOnTimer<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, (...args: never[]) => withTimerHeartbeat(() => fn(...args))])) as T;
}
