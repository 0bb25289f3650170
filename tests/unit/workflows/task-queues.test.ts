import { describe, expect, it } from 'vitest';
import { createActivities } from '../../../src/activities';
import { ACTIVITY_KINDS, activityTaskQueue, parseWorkKinds, taskQueueFor, WORK_KINDS } from '../../../src/workflows/task-queues';

describe('task queues by kind of work', () => {
  it('derives every queue from the base queue; workflows keep the base queue itself', () => {
    expect(WORK_KINDS.map((kind) => taskQueueFor('datacreek', kind))).toEqual(['datacreek', 'datacreek-llm', 'datacreek-accept', 'datacreek-files']);
  });

  it('routes each activity to the queue of its kind', () => {
    expect(activityTaskQueue('q', 'processBatch')).toBe('q-llm');
    expect(activityTaskQueue('q', 'acceptBatch')).toBe('q-accept');
    expect(activityTaskQueue('q', 'ingestDocument')).toBe('q-files');
    expect(activityTaskQueue('q', 'prepareBuild')).toBe('q');
    expect(activityTaskQueue('q', 'notAnActivity')).toBe('q');
  });

  it('gives every registered activity a kind, and names no activity that does not exist', () => {
    // Dependencies are only read when an activity runs: a stand-in that answers every property is enough here.
    const anything: unknown = new Proxy(() => anything, { get: () => anything });
    const registered = Object.keys(createActivities(anything as never)).sort();
    expect(Object.keys(ACTIVITY_KINDS).sort()).toEqual(registered);
  });

  it('parses serve lists, "all", and rejects unknown kinds naming the accepted ones', () => {
    expect(parseWorkKinds('llm')).toEqual(['llm']);
    expect(parseWorkKinds(' files , workflows ')).toEqual(['workflows', 'files']);
    expect(parseWorkKinds(['accept', 'llm'])).toEqual(['llm', 'accept']);
    expect(parseWorkKinds('all')).toEqual([...WORK_KINDS]);
    expect(() => parseWorkKinds('llm,gpu')).toThrow(/unknown kind\(s\) "gpu": use any of workflows, llm, accept, files/);
    expect(() => parseWorkKinds('')).toThrow(/is empty/);
  });
});
