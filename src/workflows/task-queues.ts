// Which task queue each kind of work runs on, so one deployment can scale LLM workers apart from the workers that
// run workflows, acceptance or file work. Pure constants and string functions: imported by workflow code (which
// routes each activity to its queue) and by the worker (which registers each activity only on its own queue).
import type { Activities } from '../activities';
import type { DatacreekConfig } from '../infra/config/schema';

/** The kinds of work a worker can serve (`datacreek worker --serve …`, config `worker.serve`). */
export const WORK_KINDS = ['workflows', 'llm', 'accept', 'files'] as const;
export type WorkKind = (typeof WORK_KINDS)[number];
// The config schema spells the same list (config must not import workflow code): this fails to compile if they differ.
type ConfiguredKind = DatacreekConfig['worker']['serve'][number];
type SameUnion<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type MustBeTrue<T extends true> = T;
export type ConfigServesTheseKinds = MustBeTrue<SameUnion<WorkKind, ConfiguredKind>>;

/**
 * The kind of every activity. `workflows`: short bookkeeping in PostgreSQL, run beside the workflows on the base
 * queue. `llm`: activities whose time is spent waiting on the LLM endpoint. `accept`: acceptance and dedup, which
 * must see every accepted record. `files`: parsing, ingest, export and reports, which need the shared disk.
 * The `satisfies` makes a new activity without a kind a type error.
 */
export const ACTIVITY_KINDS = {
  prepareIngest: 'workflows',
  finishIngest: 'workflows',
  prepareBuild: 'workflows',
  finalizeBuild: 'workflows',
  prepareCurate: 'workflows',
  finishCurate: 'workflows',
  preparePipelineRun: 'workflows',
  rejectPipelineBatch: 'workflows',
  finalizePipelineRun: 'workflows',
  processBatch: 'llm',
  curateBatch: 'llm',
  augmentDataset: 'llm',
  runPipelineBlock: 'llm',
  acceptBatch: 'accept',
  curateDedup: 'accept',
  ingestDocument: 'files',
  exportRecords: 'files',
  writeQualityReport: 'files',
} as const satisfies Record<keyof Activities, WorkKind>;

/** The queue of a kind of work: the base queue itself for workflows, `<base>-<kind>` for the others. */
export function taskQueueFor(baseQueue: string, kind: WorkKind): string {
  return kind === 'workflows' ? baseQueue : `${baseQueue}-${kind}`;
}

/** The queue an activity runs on, given the queue its workflow runs on (unknown names stay on the base queue). */
export function activityTaskQueue(baseQueue: string, activityType: string): string {
  const kind: WorkKind = (ACTIVITY_KINDS as Record<string, WorkKind>)[activityType] ?? 'workflows';
  return taskQueueFor(baseQueue, kind);
}

/** Parses a `--serve` list ("llm,accept" or "all"); throws naming the bad entry and the accepted ones. */
export function parseWorkKinds(list: string | readonly string[]): WorkKind[] {
  const entries = (typeof list === 'string' ? list.split(',') : [...list]).map((entry) => entry.trim()).filter(Boolean);
  if (entries.includes('all')) return [...WORK_KINDS];
  const unknown = entries.filter((entry) => !(WORK_KINDS as readonly string[]).includes(entry));
  if (unknown.length || entries.length === 0) {
    throw new Error(
      `worker serve list "${entries.join(',')}" ${unknown.length ? `has unknown kind(s) ${unknown.map((u) => `"${u}"`).join(', ')}` : 'is empty'}: use any of ${WORK_KINDS.join(', ')} (comma-separated) or "all"`,
    );
  }
  return WORK_KINDS.filter((kind) => entries.includes(kind));
}
