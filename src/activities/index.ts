// Every activity the worker registers, built from injected dependencies.
import { createBuildActivities } from './build';
import { createCurateActivities } from './curate';
import type { ActivityDeps } from './deps';
import { createExportActivities } from './export';
import { createIngestActivities } from './ingest';
import { createPipelineActivities } from './pipeline';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createIngestActivities(deps),
    ...createBuildActivities(deps),
    ...createExportActivities(deps),
    ...createCurateActivities(deps),
    ...createPipelineActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
