// Every id a task is known by. Workflow ids double as task ids; they are readable in the Web UI and start with the
// task's kind. A build's id is one per dataset (a second build of it is the same workflow id, so Temporal refuses
// to run two at once); every other task gets a unique suffix.
import { buildWorkflowId, curateWorkflowId } from '../workflows/ids';
import { pipelineWorkflowId } from '../workflows/pipeline-input';

export { buildWorkflowId, curateWorkflowId, pipelineWorkflowId };
export { uniqueSuffix } from './unique-suffix';

export const ingestWorkflowId = (datasetId: string, suffix: string) => `ingest-${datasetId}-${suffix}`;
export const exportWorkflowId = (datasetId: string, suffix: string) => `export-${datasetId}-${suffix}`;

/** The dataset a build workflow id names (`build-<dataset>`), or undefined for any other id. */
export function datasetOfBuild(workflowId: string): string | undefined {
  const prefix = buildWorkflowId('');
  return workflowId.startsWith(prefix) ? workflowId.slice(prefix.length) : undefined;
}

/**
 * What a person may mean by an id: the id itself, or, for a dataset id, that dataset's build. An id that is
 * already a build id means only itself.
 */
export function workflowIdCandidates(id: string): string[] {
  return datasetOfBuild(id) === undefined ? [id, buildWorkflowId(id)] : [id];
}
