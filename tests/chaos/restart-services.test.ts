// Take the servers away in the middle of a build: stop the Temporal dev server and start it again on the same
// database file; restart PostgreSQL (pg_ctl stop -m fast, wait, start). The worker keeps running (or is started
// again if it gave up), activities retry, and each build still ends with exactly `target` records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedSoFar, activityRetries, auditFinishedBuild, buildResult, ingestFacts, startBuild, type BuildAudit } from '../../testkit/chaos/build-run';
import { seededRandom } from '../../src/infra/common/seeded-random';
import { sleep, startChaosStack, waitFor, type ChaosStack } from '../../testkit/chaos/harness';
import { recordChaosFigures } from '../../testkit/chaos/report';
import { findSecrets, scanWorkflowHistories } from './secrets';

const TARGET = 100;
const BATCH_SIZE = 2;
const OUTAGE_MS = 4000;

let stack: ChaosStack;
const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1e9));
const random = seededRandom(seed);

beforeAll(async () => {
  stack = await startChaosStack({ name: 'restart-services', llm: { latencyMs: 40 } });
});

afterAll(async () => {
  await stack?.close();
});

/**
 * Runs one build and, once a random share of the target is accepted, runs `outage`. Afterwards the worker is
 * started again if the outage made it exit (a production supervisor would do the same).
 */
async function buildThrough(
  datasetId: string,
  outage: () => Promise<string>,
): Promise<{ audit: BuildAudit; events: string[]; workerRestarts: number; retries: number }> {
  const events: string[] = [`seed ${seed}`];
  const log = (event: string) => {
    events.push(event);
    console.log(`[chaos ${datasetId}] ${event}`);
  };
  await ingestFacts(stack, datasetId);
  const handle = await startBuild(stack, { datasetId, target: TARGET, batchSize: BATCH_SIZE, itemsPerChunk: 3, concurrency: 4, scoring: { mode: 'judge' } });
  const point = Math.floor((0.15 + random() * 0.5) * TARGET);
  await waitFor(`${point} accepted records`, async () => ((await acceptedSoFar(stack.db, datasetId)) >= point ? true : undefined), 300_000);
  const startsBefore = stack.worker.starts;
  log(`${await acceptedSoFar(stack.db, datasetId)}/${TARGET} accepted: ${await outage()}`);
  // Give the worker time to notice; if the outage made it exit, start it again.
  await sleep(2000);
  if (!stack.worker.running) {
    log(`the worker exited (${JSON.stringify(stack.worker.exitHistory.at(-1))}); starting it again`);
    await stack.worker.start();
  }
  const progress = await buildResult(handle);
  log(`build finished: ${progress.stopReason}, ${progress.accepted} accepted, ${progress.generated} generated`);
  return {
    audit: await auditFinishedBuild(stack.db, datasetId, progress, BATCH_SIZE),
    events,
    workerRestarts: stack.worker.starts - startsBefore,
    retries: await activityRetries(stack.client, handle.workflowId),
  };
}

describe('server restarts during a build', () => {
  it('survives the Temporal dev server stopping and starting again on the same database file', async () => {
    const started = Date.now();
    const { audit, events, workerRestarts, retries } = await buildThrough('temporal-restart', async () => {
      await stack.restartTemporal(OUTAGE_MS);
      return `Temporal dev server stopped for ${OUTAGE_MS} ms and started again on the same database file`;
    });
    recordChaosFigures({
      test: 'temporal-restart',
      scenario: `stop the Temporal dev server for ${OUTAGE_MS / 1000} s mid-build, start it again on the same SQLite file`,
      durationMs: Date.now() - started,
      seed,
      temporalRestarts: 1,
      workerRestarts,
      activityRetries: retries,
      target: TARGET,
      accepted: audit.accepted,
      recordsLost: audit.recordsLost,
      duplicates: audit.duplicates,
      events,
    });
    expect(audit.violations).toEqual([]);
    expect(audit.accepted).toBe(TARGET);
  });

  it('survives PostgreSQL restarting (pg_ctl stop -m fast, start): activities retry', async () => {
    const started = Date.now();
    const { audit, events, workerRestarts, retries } = await buildThrough('postgres-restart', async () => {
      await stack.restartPostgres(OUTAGE_MS);
      return `PostgreSQL stopped (-m fast) for ${OUTAGE_MS} ms and started again`;
    });
    const histories = await scanWorkflowHistories(stack.client, stack.secrets);
    const logHits = findSecrets(stack.worker.log, stack.secrets, 'worker log');
    recordChaosFigures({
      test: 'postgres-restart',
      scenario: `restart PostgreSQL mid-build (pg_ctl stop -m fast, ${OUTAGE_MS / 1000} s down, start)`,
      durationMs: Date.now() - started,
      seed,
      postgresRestarts: 1,
      workerRestarts,
      activityRetries: retries,
      target: TARGET,
      accepted: audit.accepted,
      recordsLost: audit.recordsLost,
      duplicates: audit.duplicates,
      historiesScanned: histories.histories,
      logBytesScanned: stack.worker.log.length,
      secretsFound: histories.hits.length + logHits.length,
      events,
    });
    expect(audit.violations).toEqual([]);
    expect(audit.accepted).toBe(TARGET);
    expect([...histories.hits, ...logHits]).toEqual([]);
  });
});
