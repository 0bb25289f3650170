// LanceDB table names per dataset and purpose (the store sanitizes them further).
export const chunkTableName = (datasetId: string) => `chunks__${datasetId}`;
export const recordTableName = (datasetId: string) => `records__${datasetId}`;
