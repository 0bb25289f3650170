// Every activity the worker registers, built from injected dependencies.
import { createBuildActivities } from './build';
import type { ActivityDeps } from './deps';
import { createExportActivities } from './export';
import { createIngestActivities } from './ingest';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createIngestActivities(deps),
    ...createBuildActivities(deps),
    ...createExportActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
