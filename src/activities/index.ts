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

// What the entry points use beside the activities themselves: the worker's dependencies, the single-writer lease
// on a dataset, ingest planning and pipeline files.
export { createActivityDeps, type ActivityDeps } from './deps';
export { busyExplanation, liveWriter, temporalWriterIsLive, type DatasetWriter } from './dataset-writer';
export { planIngest } from './ingest-plan';
export { namedPipelinePath, pipelinesDir, resolvePipelineSource } from './pipeline';
export * from './deps';
export * from './dataset-writer';
export * from './ingest-plan';
export * from './pipeline';
