// Deterministic identities. Derived from the dataset and the build's epoch, never the run id, which changes on
// continue-as-new: a replayed or retried step computes the same ids and its writes are no-ops, and a later build of
// the same dataset (a new epoch) never meets an earlier build's ids.

/** Dataset ids appear in workflow ids, table names and URLs: keep them to a safe alphabet. */
export const DATASET_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const buildWorkflowId = (datasetId: string) => `build-${datasetId}`;
export const curateWorkflowId = (datasetId: string, suffix: string) => `curate-${datasetId}-${suffix}`;
/** One build of a dataset: the workflow id plus the build's epoch (1 for the first build, 2 for the next …). */
export const buildId = (datasetId: string, epoch: number) => `${buildWorkflowId(datasetId)}/e${epoch}`;
/**
 * A batch of a build. `owner` is the build id; builds started before epochs existed used the workflow id, and a
 * workflow from then that is still running keeps doing so.
 */
export const batchId = (owner: string, round: number, index: number) => `${owner}/r${round}/b${index}`;
/** The n-th acceptance of a build (1-based, counted across continue-as-new). */
export const acceptanceId = (owner: string, n: number) => `${owner}/a${n}`;
