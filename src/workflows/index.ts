// Every workflow the worker runs. Deterministic code only: imports from @temporalio/workflow, zod,
// pure modules, and types of activities.
export { ingestWorkflow } from './ingest';
