// Oldest batch first. The endpoint limiter serves requests in arrival order, so with many batches in flight
// each batch's judge and embedding calls would queue behind every younger batch's generation calls, all
// batches would finish together, and the endpoint would idle while they all wrote, were accepted and were
// replaced at once. This gate, in front of the limiter and sized to the endpoint's slots, admits the build's
// calls by batch age instead: an older batch's next call (whatever its stage) goes before a younger batch's,
// so batches finish one after another and there is always a younger batch with calls ready for a free slot.

interface Waiter {
  priority: number;
  order: number;
  admit: () => void;
}

export class PriorityGate {
  private active = 0;
  private arrivals = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private capacity: number) {}

  /** Runs `fn` once admitted: lower `priority` first, then first come first served. */
  async run<T>(priority: number, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.enter(priority, signal);
    try {
      return await fn();
    } finally {
      this.active--;
      this.pump();
    }
  }

  /** Calls running, and calls waiting for their turn: work ready for the endpoint. */
  stats(): { active: number; waiting: number; capacity: number } {
    return { active: this.active, waiting: this.waiting.length, capacity: this.capacity };
  }

  setCapacity(capacity: number): void {
    this.capacity = Math.max(1, capacity);
    this.pump();
  }

  private enter(priority: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        order: this.arrivals++,
        admit: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < this.capacity && this.waiting.length > 0) {
      // A few hundred waiters at most (batches in flight × items per batch): a linear scan is cheap enough.
      let best = 0;
      for (let i = 1; i < this.waiting.length; i++) {
        const w = this.waiting[i];
        const b = this.waiting[best];
        if (w.priority < b.priority || (w.priority === b.priority && w.order < b.order)) best = i;
      }
      const [next] = this.waiting.splice(best, 1);
      this.active++;
      next.admit();
    }
  }
}

const gates = new Map<string, PriorityGate>();

/** The process-wide gate of an endpoint, sized to its slots. */
export function endpointGate(endpoint: string, slots: number): PriorityGate {
  let gate = gates.get(endpoint);
  if (!gate) gates.set(endpoint, (gate = new PriorityGate(slots)));
  else gate.setCapacity(slots);
  return gate;
}

/** Batches launched earlier come first: by round, then by index within the round. */
export function batchPriority(round: number, index: number): number {
  return round * 1_000_000 + index;
}

/** Every gate of the process, by endpoint: for benchmarks and worker metrics. */
export function endpointGateStats(): Record<string, ReturnType<PriorityGate['stats']>> {
  return Object.fromEntries([...gates].map(([endpoint, gate]) => [endpoint, gate.stats()]));
}
