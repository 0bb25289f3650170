// The Temporal worker: the workflow bundle and every activity, on one task queue.
export * from './worker';
