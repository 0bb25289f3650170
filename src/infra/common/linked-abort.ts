// A signal that aborts when any parent signal does or when a deadline passes, and that is let go of when the work
// it guards ends. Not AbortSignal.any / AbortSignal.timeout: on Node 20 a composite or timeout signal that gets an
// 'abort' listener (fetch and the OpenAI SDK each add one and never remove it) is kept in a process-wide set
// for good, with everything its listeners hold: ~1.6 KB for every LLM request a worker ever sent (+44 MB of live
// heap over a 40k-record build, growing without end). Here the links are plain listeners, removed by `dispose()`.

export interface LinkedAbort {
  readonly signal: AbortSignal;
  /** Whether the deadline (not a parent) aborted the signal. */
  readonly timedOut: boolean;
  /** Clears the deadline and unlinks the parents; call it when the guarded work ends, however it ends. */
  dispose(): void;
}

export function linkedAbort(parents: (AbortSignal | undefined)[], timeoutMs?: number): LinkedAbort {
  const controller = new AbortController();
  let timedOut = false;
  const unlinks: (() => void)[] = [];
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const follow = () => controller.abort(parent.reason);
    parent.addEventListener('abort', follow, { once: true });
    unlinks.push(() => parent.removeEventListener('abort', follow));
  }
  let timer: NodeJS.Timeout | undefined;
  if (timeoutMs !== undefined && !controller.signal.aborted) {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`The operation was aborted due to timeout after ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs);
    // A pending deadline alone must not keep a process alive.
    timer.unref();
  }
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      for (const unlink of unlinks.splice(0)) unlink();
    },
  };
}
