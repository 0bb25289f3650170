// Every workflow the worker runs: the worker's bundle entry, so every function exported here is a workflow type.
// Deterministic code only: imports from @temporalio/workflow, zod, pure modules, and types of activities
// (the rules and their reasons: docs/ARCHITECTURE.md, checked by `npm run lint`).
export { ingestWorkflow } from './ingest';
export { buildDataset } from './build';
export { exportDataset } from './export';
export { curateDataset } from './curate';
export { runPipeline } from './pipeline';
