// The operations on tasks and datasets, shared by the API and the CLI: both are thin adapters over this module
// (parse input, call one operation, render its result or map its error to an HTTP status or an exit code).
export { connectTemporalClient, workflowUiUrl } from './temporal';
export * from './errors';
export * from './ids';
export { describeWorkflowFailure, isCancelled, type FailureView } from './failures';
export {
  isBuildWorkflow,
  startWorkflow,
  statusOf,
  takesBuildControls,
  TASK_WORKFLOW_TYPES,
  workflowHandle,
  type WorkflowInput,
  type WorkflowResult,
  type WorkflowType,
} from './workflows';
export {
  cancelTask,
  describeTask,
  findNamedWorkflow,
  listTasks,
  pauseTask,
  queryProgress,
  refuseWhileDatasetBusy,
  requireOwnedTask,
  resumeTask,
  setBuildConcurrency,
  setBuildTarget,
  startPipelineTask,
  startTask,
  workflowStatus,
  type NamedWorkflow,
  type Services,
  type StartableKind,
  type StartedTask,
  type TaskRow,
  type TaskView,
} from './tasks';
export {
  createDataset,
  datasetStatistics,
  findOwnedDataset,
  listDatasets,
  ownedOrNewDataset,
  requireOwnedDataset,
  updateDataset,
  type DatasetRow,
} from './datasets';
export { deleteDataset, type DatasetDeletion, type DeletionServices, type VectorTables } from './dataset-deletion';
export * from './temporal';
export * from './config-override';
export { taskQueueFor, WORK_KINDS, type WorkKind } from '../workflows/task-queues';
