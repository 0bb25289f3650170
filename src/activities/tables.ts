// LanceDB table names per dataset and purpose (the store sanitizes them further).
export const chunkTableName = (datasetId: string) => `chunks__${datasetId}`;
export const recordTableName = (datasetId: string) => `records__${datasetId}`;
/**
 * Candidates' vectors between processing (which embeds them) and acceptance (which may run on another worker);
 * dropped when the build ends.
 */
export const candidateVectorTableName = (datasetId: string) => `records__${datasetId}__candidates`;
