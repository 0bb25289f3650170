// Kill the worker with SIGKILL at random moments of a build, at least 3 times, restarting it each time: the build
// still ends with exactly `target` accepted records, no duplicates, and every candidate accounted for.
// The moments are drawn from a seeded generator and logged; replay a run with CHAOS_SEED=<seed>.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedSoFar, activityRetries, auditAcceptedVectors, auditFinishedBuild, buildResult, ingestFacts, startBuild } from './build-run';
import { seededRandom, sleep, startChaosStack, waitFor, type ChaosStack } from './harness';
import { recordChaosFigures } from './report';
import { findSecrets, scanWorkflowHistories } from './secrets';

const TARGET = 150;
const KILLS = 3;
const BATCH_SIZE = 2;
/** Records accepted after a restart before the next kill. */
const MIN_PROGRESS_BETWEEN_KILLS = 6;

let stack: ChaosStack;

beforeAll(async () => {
  // 50 ms per LLM call keeps batches in flight long enough for a kill to land inside them.
  stack = await startChaosStack({ name: 'kill-worker', llm: { latencyMs: 50 } });
});

afterAll(async () => {
  await stack?.close();
});

describe('SIGKILL the worker during a build', () => {
  it(`ends with exactly ${TARGET} accepted records after ${KILLS} kills and restarts`, async () => {
    const started = Date.now();
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1e9));
    const random = seededRandom(seed);
    const events: string[] = [];
    const log = (event: string) => {
      events.push(event);
      console.log(`[chaos kill-worker] ${event}`);
    };
    log(`seed ${seed}`);

    const datasetId = 'kill-worker';
    const chunks = await ingestFacts(stack, datasetId);
    const handle = await startBuild(stack, {
      datasetId,
      target: TARGET,
      batchSize: BATCH_SIZE,
      itemsPerChunk: 3,
      concurrency: 4,
      scoring: { mode: 'judge', threshold: 7 },
    });
    log(`build started on ${chunks} chunks`);

    // Kill points: accepted-record counts spread over the build (8%–75% of the target) plus up to 0.5 s, so a
    // kill may land while batches generate, while some are being accepted, or while the worker is still replaying.
    const killPoints = Array.from({ length: KILLS }, () => Math.floor((0.08 + random() * 0.67) * TARGET)).sort((a, b) => a - b);
    const acceptedAtKills: number[] = [];
    for (const [i, drawn] of killPoints.entries()) {
      // After a restart the build must move on before the next kill, so no two kills hit the same moment.
      const point = Math.min(Math.max(drawn, (acceptedAtKills.at(-1) ?? 0) + MIN_PROGRESS_BETWEEN_KILLS), Math.floor(TARGET * 0.9));
      await waitFor(`${point} accepted records`, async () => ((await acceptedSoFar(stack.db, datasetId)) >= point ? true : undefined), 300_000);
      const delayMs = Math.floor(random() * 500);
      await sleep(delayMs);
      const acceptedAtKill = await acceptedSoFar(stack.db, datasetId);
      acceptedAtKills.push(acceptedAtKill);
      // What the worker was in the middle of, as the server sees it.
      const pending = ((await handle.describe()).raw.pendingActivities ?? []).map((a) => a.activityType?.name ?? '?');
      const pid = stack.worker.pid;
      await stack.worker.kill();
      log(
        `kill ${i + 1}: SIGKILL worker pid ${pid} at ${acceptedAtKill}/${TARGET} accepted (point ${point} + ${delayMs} ms), ` +
          `activities under way: ${pending.length ? pending.join(', ') : 'none'}`,
      );
      await stack.worker.start();
      log(`restart ${i + 1}: worker polling again`);
    }

    const progress = await buildResult(handle);
    log(`build finished: ${progress.stopReason}, ${progress.accepted} accepted, ${progress.generated} generated`);
    const audit = await auditFinishedBuild(stack.db, datasetId, progress, BATCH_SIZE);
    const vectorViolations = await auditAcceptedVectors(stack.workerConfig, stack.db, datasetId);

    const histories = await scanWorkflowHistories(stack.client, stack.secrets);
    const logHits = findSecrets(stack.worker.log, stack.secrets, 'worker log');
    recordChaosFigures({
      test: 'kill-worker',
      scenario: `SIGKILL the worker ${stack.worker.kills}× at random moments of a ${TARGET}-record build, restart it each time`,
      durationMs: Date.now() - started,
      seed,
      kills: stack.worker.kills,
      activityRetries: await activityRetries(stack.client, handle.workflowId),
      workerRestarts: stack.worker.starts - 1,
      target: TARGET,
      accepted: audit.accepted,
      parseFailures: audit.parseFailures,
      recordsLost: audit.recordsLost,
      duplicates: audit.duplicates,
      historiesScanned: histories.histories,
      logBytesScanned: stack.worker.log.length,
      secretsFound: histories.hits.length + logHits.length,
      events,
    });

    expect(stack.worker.kills).toBeGreaterThanOrEqual(KILLS);
    // Every kill landed in the middle of the build, not after it.
    for (const accepted of acceptedAtKills) expect(accepted).toBeLessThan(TARGET);
    expect(audit.violations).toEqual([]);
    expect(vectorViolations).toEqual([]);
    expect(audit.accepted).toBe(TARGET);
    expect(audit.recordsLost).toBe(0);
    expect(audit.duplicates).toBe(0);
    expect([...histories.hits, ...logHits]).toEqual([]);
  });
});
