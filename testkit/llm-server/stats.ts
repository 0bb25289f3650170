// What the test server saw: counts by status, endpoint, task and fault; concurrency as the server
// experienced it; slot-busy time (for utilization = slotBusyMs / (C × elapsed)); a per-second timeline.
import type { FaultKind } from './options';

export interface TimelineSecond {
  /** Seconds since the stats were (re)started. */
  second: number;
  started: number;
  completed: number;
  byStatus: Record<string, number>;
  /** Most requests being served at once during this second. */
  peakInFlight: number;
}

export interface ServerStats {
  /** HTTP requests received on /v1 (not /_control). */
  requests: number;
  byStatus: Record<string, number>;
  byEndpoint: Record<string, number>;
  byTask: Record<string, number>;
  faults: Partial<Record<FaultKind, number>>;
  duplicatesInjected: { exact: number; near: number; semantic: number };
  /** Requests holding one of the C slots now, and at most since the start. */
  inFlight: number;
  peakInFlight: number;
  /** Requests waiting for a slot. */
  queued: number;
  peakQueued: number;
  /** Requests open on the server (served, queued or hanging), and at most: what the clients sent at once. */
  open: number;
  peakOpen: number;
  /** Clients that gave up (closed the connection) before their answer. */
  clientAborts: number;
  /** Sum over requests of the time each held a slot. */
  slotBusyMs: number;
  promptTokens: number;
  completionTokens: number;
  /** Wall-clock times (ms since the epoch) of the first request received and the last one answered since the (re)start. */
  firstRequestAt: number | null;
  lastAnswerAt: number | null;
  elapsedMs: number;
  timeline: TimelineSecond[];
}

export class StatsCollector {
  private startedAt = Date.now();
  private data = StatsCollector.empty();
  private seconds = new Map<number, TimelineSecond>();

  private static empty() {
    return {
      requests: 0,
      byStatus: {} as Record<string, number>,
      byEndpoint: {} as Record<string, number>,
      byTask: {} as Record<string, number>,
      faults: {} as Partial<Record<FaultKind, number>>,
      inFlight: 0,
      peakInFlight: 0,
      queued: 0,
      peakQueued: 0,
      open: 0,
      peakOpen: 0,
      clientAborts: 0,
      slotBusyMs: 0,
      promptTokens: 0,
      completionTokens: 0,
      firstRequestAt: null as number | null,
      lastAnswerAt: null as number | null,
    };
  }

  requestOpened(endpoint: string): void {
    this.data.requests++;
    this.data.firstRequestAt ??= Date.now();
    bump(this.data.byEndpoint, endpoint);
    this.data.open++;
    this.data.peakOpen = Math.max(this.data.peakOpen, this.data.open);
    this.second().started++;
  }

  requestClosed(status: number): void {
    this.data.open--;
    this.data.lastAnswerAt = Date.now();
    bump(this.data.byStatus, String(status));
    const second = this.second();
    second.completed++;
    bump(second.byStatus, String(status));
  }

  clientAborted(): void {
    this.data.clientAborts++;
  }

  queuedChange(delta: number): void {
    this.data.queued += delta;
    this.data.peakQueued = Math.max(this.data.peakQueued, this.data.queued);
  }

  slotTaken(): void {
    this.data.inFlight++;
    this.data.peakInFlight = Math.max(this.data.peakInFlight, this.data.inFlight);
    const second = this.second();
    second.peakInFlight = Math.max(second.peakInFlight, this.data.inFlight);
  }

  slotReleased(heldMs: number): void {
    this.data.inFlight--;
    this.data.slotBusyMs += heldMs;
  }

  task(name: string): void {
    bump(this.data.byTask, name);
  }

  fault(kind: FaultKind): void {
    this.data.faults[kind] = (this.data.faults[kind] ?? 0) + 1;
  }

  tokens(prompt: number, completion: number): void {
    this.data.promptTokens += prompt;
    this.data.completionTokens += completion;
  }

  snapshot(duplicatesInjected: ServerStats['duplicatesInjected']): ServerStats {
    return {
      ...structuredClone(this.data),
      duplicatesInjected: { ...duplicatesInjected },
      elapsedMs: Date.now() - this.startedAt,
      timeline: [...this.seconds.values()].sort((a, b) => a.second - b.second).map((s) => structuredClone(s)),
    };
  }

  /** Zeroes counters and the timeline but keeps what is open right now (those requests will still close). */
  reset(): void {
    const { inFlight, queued, open } = this.data;
    this.data = { ...StatsCollector.empty(), inFlight, queued, open, peakInFlight: inFlight, peakQueued: queued, peakOpen: open };
    this.seconds = new Map();
    this.startedAt = Date.now();
  }

  private second(): TimelineSecond {
    const index = Math.floor((Date.now() - this.startedAt) / 1000);
    let second = this.seconds.get(index);
    if (!second) {
      second = { second: index, started: 0, completed: 0, byStatus: {}, peakInFlight: this.data.inFlight };
      this.seconds.set(index, second);
    }
    return second;
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
