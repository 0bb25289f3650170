// Every workflow the worker runs. Deterministic code only: imports from @temporalio/workflow, zod,
// pure modules, and types of activities.
export { ingestWorkflow } from './ingest';
export { buildDataset } from './build';
export { exportDataset } from './export';
export { curateDataset } from './curate';
export { runPipeline } from './pipeline';
