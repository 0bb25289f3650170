// Deterministic identities (DESIGN.md decision 2). Derived from the workflow id, never the run id, which
// changes on continue-as-new: a replayed or retried step computes the same ids and its writes are no-ops.

/** Dataset ids appear in workflow ids, table names and URLs: keep them to a safe alphabet. */
export const DATASET_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const buildWorkflowId = (datasetId: string) => `build-${datasetId}`;
export const curateWorkflowId = (datasetId: string, suffix: string) => `curate-${datasetId}-${suffix}`;
export const batchId = (workflowId: string, round: number, index: number) => `${workflowId}/r${round}/b${index}`;
