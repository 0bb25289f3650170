// Freeze the worker (SIGSTOP) for longer than its heartbeat timeout, then let it go on (SIGCONT), several times
// during a build: what a VM pause, a swap storm or a debugger does to a worker. Temporal retries the activities
// whose heartbeats stopped, on the same worker, while their first attempts wake up and carry on: two attempts of
// one batch run at once, and whichever writes second finds the batch already processed. The build must still end
// with exactly `target` accepted records, no duplicates, and every candidate accounted for.
// Node itself has aborted a thawed worker now and then ("async hook stack has become corrupted" in the workflow
// thread, a Node/SDK fault outside datacreek): the test then does what a supervisor (compose's restart policy)
// does, starts the worker again, and the build must lose nothing either way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedSoFar, activityRetries, auditAcceptedVectors, auditFinishedBuild, buildResult, ingestFacts, startBuild } from '../../testkit/chaos/build-run';
import { seededRandom } from '../../src/infra/common/seeded-random';
import { sleep, startChaosStack, waitFor, type ChaosStack } from '../../testkit/chaos/harness';

const TARGET = 90;
const FREEZES = 3;
const BATCH_SIZE = 6;
const HEARTBEAT_TIMEOUT_MS = 3000;
/** Past the heartbeat timeout, so Temporal gives up on the frozen attempts and schedules new ones. */
const FREEZE_MS = 3 * HEARTBEAT_TIMEOUT_MS;

let stack: ChaosStack;

beforeAll(async () => {
  // With 16 batches of 6 in flight (each a few LLM calls plus scoring), every freeze lands inside some of them.
  stack = await startChaosStack({
    name: 'freeze-worker',
    llm: { latencyMs: 5 },
    workerEnv: { DATACREEK_WORKER_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS) },
  });
});

afterAll(async () => {
  await stack?.close();
});

describe('freeze the worker past its heartbeat timeout during a build', () => {
  it(`ends with exactly ${TARGET} accepted records after ${FREEZES} freezes of ${FREEZE_MS / 1000} s`, async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1e9));
    const random = seededRandom(seed);
    const log = (event: string) => console.log(`[chaos freeze-worker] ${event}`);
    log(`seed ${seed}`);

    const datasetId = 'freeze-worker';
    await ingestFacts(stack, datasetId);
    const handle = await startBuild(stack, {
      datasetId,
      target: TARGET,
      batchSize: BATCH_SIZE,
      itemsPerChunk: 3,
      concurrency: 16,
      scoring: { mode: 'judge', threshold: 7 },
    });

    let building = true;
    const supervisor = (async () => {
      while (building) {
        if (!stack.worker.running) {
          log(`worker exited (${JSON.stringify(stack.worker.exitHistory.at(-1))}): starting it again`);
          await stack.worker.start();
        }
        await sleep(250);
      }
    })();

    const freezePoints = Array.from({ length: FREEZES }, (_, i) => Math.floor(((i + 1) / (FREEZES + 1)) * TARGET * (0.8 + random() * 0.2)));
    const pendingAtFreezes: number[] = [];
    for (const point of freezePoints) {
      await waitFor(`${point} accepted records`, async () => ((await acceptedSoFar(stack.db, datasetId)) >= point ? true : undefined), 300_000);
      const pending = ((await handle.describe()).raw.pendingActivities ?? []).map((a) => a.activityType?.name ?? '?');
      pendingAtFreezes.push(pending.length);
      await waitFor('a running worker', async () => (stack.worker.running ? true : undefined), 60_000);
      const pid = stack.worker.pid!;
      process.kill(pid, 'SIGSTOP');
      await sleep(FREEZE_MS);
      process.kill(pid, 'SIGCONT');
      log(`froze worker pid ${pid} for ${FREEZE_MS} ms at ≥ ${point} accepted, activities under way: ${pending.join(', ') || 'none'}`);
    }

    const progress = await buildResult(handle).finally(() => {
      building = false;
    });
    await supervisor;
    log(`build finished: ${progress.stopReason}, ${progress.accepted} accepted, ${progress.generated} generated`);
    const audit = await auditFinishedBuild(stack.db, datasetId, progress, BATCH_SIZE);
    const vectorViolations = await auditAcceptedVectors(stack.workerConfig, stack.db, datasetId);
    const retries = await activityRetries(stack.client, handle.workflowId);
    log(`activity retries: ${retries}`);

    // The freezes landed inside the build, with activities under way, and Temporal did retry some of them.
    expect(pendingAtFreezes.every((n) => n > 0)).toBe(true);
    expect(retries).toBeGreaterThan(0);
    log(`worker starts: ${stack.worker.starts}`);
    expect(progress.stopReason).toBe('target_reached');
    expect(audit.violations).toEqual([]);
    expect(vectorViolations).toEqual([]);
    expect(audit.accepted).toBe(TARGET);
    expect(audit.recordsLost).toBe(0);
    expect(audit.duplicates).toBe(0);
  });
});
