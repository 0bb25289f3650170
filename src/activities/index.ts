// Every activity the worker registers, built from injected dependencies.
import { createBuildActivities } from './build';
import { createCurateActivities } from './curate';
import type { ActivityDeps } from './deps';
import { createExportActivities } from './export';
import { createIngestActivities } from './ingest';
import { heartbeatingOnTimer } from './keep-alive';
import { createPipelineActivities } from './pipeline';

/** Every activity heartbeats on a timer while it runs (see keep-alive.ts), however slow its calls are. */
export function createActivities(deps: ActivityDeps) {
  return heartbeatingOnTimer({
    ...createIngestActivities(deps),
    ...createBuildActivities(deps),
    ...createExportActivities(deps),
    ...createCurateActivities(deps),
    ...createPipelineActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
