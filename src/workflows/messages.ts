// The build's live controls: what the Web UI, `temporal workflow query|signal|update` and the API use.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BuildProgress } from './build-input';

export const progressQuery = defineQuery<BuildProgress>('progress');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** `{ "target": 300 }` or a bare number; refused below what is already accepted. Returns the new progress. */
export const setTargetUpdate = defineUpdate<BuildProgress, [{ target: number } | number]>('setTarget');
/** `{ "concurrency": 8 }` or a bare number: batches in flight at once. */
export const setConcurrencyUpdate = defineUpdate<BuildProgress, [{ concurrency: number } | number]>('setConcurrency');
