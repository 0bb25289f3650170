// The object keys datacreek writes, in one place: every writer and reader (worker, API, CLI) agrees on them.

/** A user's uploaded file: one folder per request, so two uploads named alike never collide. */
export const uploadKey = (userId: string, requestId: string, fileName: string) => `uploads/${userId}/${requestId}/${fileName}`;

/** The prefix under which one user's uploads live (ingest of an upload checks it belongs to the caller). */
export const userUploadsPrefix = (userId: string) => `uploads/${userId}/`;

/** Everything written for a dataset: its export files and its quality report. */
export const datasetFilesPrefix = (datasetId: string) => `exports/${datasetId}/`;

export const exportFileKey = (datasetId: string, fileName: string) => `${datasetFilesPrefix(datasetId)}${fileName}`;

export const qualityReportKeys = (datasetId: string) => ({
  json: `${datasetFilesPrefix(datasetId)}quality-report.json`,
  html: `${datasetFilesPrefix(datasetId)}quality-report.html`,
});
