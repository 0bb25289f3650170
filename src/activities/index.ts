// Every activity the worker registers, built from injected dependencies.
import type { ActivityDeps } from './deps';
import { createIngestActivities } from './ingest';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createIngestActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
