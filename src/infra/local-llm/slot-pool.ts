// A fixed set of workers (one per context sequence) handed out first come, first served. Requests beyond
// the number of sequences wait in order; a waiting request whose client went away leaves the queue.
interface Waiter<Slot> {
  grant(slot: Slot): void;
  fail(error: unknown): void;
}

export class SlotPool<Slot> {
  private readonly free: Slot[];
  private readonly waiting: Waiter<Slot>[] = [];
  private closedReason: Error | null = null;

  constructor(slots: Slot[]) {
    if (slots.length === 0) throw new Error('SlotPool needs at least one slot');
    this.free = [...slots];
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  acquire(signal?: AbortSignal): Promise<Slot> {
    if (this.closedReason) return Promise.reject(this.closedReason);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.waiting.length === 0 && this.free.length > 0) return Promise.resolve(this.free.pop()!);
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal!.reason);
      };
      const waiter: Waiter<Slot> = {
        grant: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next.grant(slot);
    else this.free.push(slot);
  }

  /** Fails every waiting request, and any later acquire, with `reason` (the server is shutting down). */
  close(reason: Error): void {
    this.closedReason = reason;
    for (const waiter of this.waiting.splice(0)) waiter.fail(reason);
  }
}
