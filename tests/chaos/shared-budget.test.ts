// Three worker processes share one LLM endpoint: the stack's worker serves every kind of work and two more serve
// only `llm` (the `<queue>-llm` task queue). Each process allows `LIMIT` requests in flight, so without a budget
// shared across processes the endpoint could see three times that. The test LLM server counts what clients really
// sent at once: it must stay at or under LIMIT while batches run on several processes.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFinishedBuild, buildResult, ingestFacts, startBuild } from './build-run';
import { startChaosStack, type ChaosStack } from './harness';
import { recordChaosFigures } from './report';
import { WorkerProcess } from './worker-process';

const LIMIT = 4;
const TARGET = 60;
const BATCH_SIZE = 3;

let stack: ChaosStack;
const llmWorkers: WorkerProcess[] = [];

beforeAll(async () => {
  // 40 ms per call and no server-side cap: every request the workers send at once is in flight at once.
  stack = await startChaosStack({
    name: 'shared-budget',
    llm: { latencyMs: 40, concurrency: 0 },
    workerEnv: { DATACREEK_LLM_CONCURRENCY: String(LIMIT) },
  });
  for (const n of [1, 2]) {
    const worker = new WorkerProcess({
      env: { ...stack.workerEnv, DATACREEK_WORKER_SERVE: 'llm' },
      logFile: path.join(stack.dir, `worker-llm-${n}.log`),
    });
    llmWorkers.push(worker);
    await worker.start();
  }
});

afterAll(async () => {
  for (const worker of llmWorkers) await worker.stop().catch(() => {});
  await stack?.close();
});

describe('one endpoint budget across three worker processes', () => {
  it(`keeps the endpoint at or under ${LIMIT} requests in flight while batches run on several workers`, async () => {
    const started = Date.now();
    const datasetId = 'shared-budget';
    await ingestFacts(stack, datasetId);
    stack.llm.resetStats();
    const handle = await startBuild(stack, {
      datasetId,
      target: TARGET,
      batchSize: BATCH_SIZE,
      itemsPerChunk: 3,
      concurrency: 6,
      scoring: { mode: 'judge', threshold: 7 },
    });
    const progress = await buildResult(handle);
    const stats = stack.llm.stats();
    const audit = await auditFinishedBuild(stack.db, datasetId, progress, BATCH_SIZE);

    // Which task queue each batch was scheduled on, and which worker process ran it.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = new Map<string, { type: string; queue: string }>();
    const batchRunners = new Set<string>();
    const batchQueues = new Set<string>();
    for (const event of events) {
      const s = event.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(event.eventId), { type: s.activityType?.name ?? '', queue: s.taskQueue?.name ?? '' });
      const st = event.activityTaskStartedEventAttributes;
      const activity = st ? scheduled.get(String(st.scheduledEventId)) : undefined;
      if (st && activity?.type === 'processBatch') {
        batchRunners.add(st.identity ?? '');
        batchQueues.add(activity.queue);
      }
    }
    console.log(
      `[chaos shared-budget] ${progress.accepted}/${TARGET} accepted, ${stats.requests} LLM requests, peak in flight ${stats.peakOpen} / limit ${LIMIT} ` +
        `across 3 workers; batches ran on ${batchRunners.size} worker(s) via ${[...batchQueues].join(', ')}`,
    );
    recordChaosFigures({
      test: 'shared-budget',
      scenario: `3 worker processes (1 serving all kinds, 2 serving llm only), llm.concurrency ${LIMIT} each, one endpoint`,
      durationMs: Date.now() - started,
      llmRequests: stats.requests,
      peakInFlight: stats.peakOpen,
      concurrencyLimit: LIMIT,
      duplicates: audit.duplicates,
      recordsLost: audit.recordsLost,
    });

    expect(progress.accepted).toBe(TARGET);
    expect(audit.violations).toEqual([]);
    expect([...batchQueues]).toEqual([`${stack.taskQueue}-llm`]);
    // The budget is only tested if batches really ran in more than one process at once.
    expect(batchRunners.size).toBeGreaterThanOrEqual(2);
    expect(stats.peakOpen).toBeLessThanOrEqual(LIMIT);
    // …and it is used, not starved: the endpoint saw the whole budget at some moment.
    expect(stats.peakOpen).toBe(LIMIT);
  }, 900_000);
});
