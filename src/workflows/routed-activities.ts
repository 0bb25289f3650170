// proxyActivities with each activity sent to the task queue of its kind of work (see task-queues.ts). The queue is
// worked out when the activity is scheduled, from the workflow's own queue, so the same workflow code runs under
// any base queue name; module-level declarations stay as they were.
import { proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import { activityTaskQueue } from './task-queues';

type ActivityFunction = (...args: any[]) => Promise<any>;

export function routedActivities<A extends object>(options: ActivityOptions): A {
  return new Proxy({} as A, {
    get(_target, activityType) {
      if (typeof activityType !== 'string') return undefined;
      return (...args: unknown[]) => {
        const taskQueue = activityTaskQueue(workflowInfo().taskQueue, activityType);
        const activities = proxyActivities<Record<string, ActivityFunction>>({ ...options, taskQueue });
        return activities[activityType]!(...args);
      };
    },
  });
}
