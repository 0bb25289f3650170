// An endpoint's concurrency budget shared by every worker process (the per-process EndpointLimiter only bounds its
// own process, so N workers would send N times the configured concurrency). The worker installs one budget for the
// process; every LlmClient takes a lease from it per request attempt, after its local limiter has granted a slot.

/** One held slot of an endpoint's shared budget. Release it exactly once; later releases are ignored. */
export interface EndpointLease {
  release(): void;
}

export interface SharedEndpointBudget {
  /** Waits until fewer than `slots` requests to `endpoint` are in flight across all workers, then holds one slot. */
  acquire(endpoint: string, slots: number, signal?: AbortSignal): Promise<EndpointLease>;
}

let installed: SharedEndpointBudget | null = null;

/** Makes `budget` the process's shared budget (null: each process bounds only itself). */
export function useSharedEndpointBudget(budget: SharedEndpointBudget | null): void {
  installed = budget;
}

export function sharedEndpointBudget(): SharedEndpointBudget | null {
  return installed;
}
