// An LLM endpoint that misbehaves in every way at once: 10% HTTP 500, 10% 429 with Retry-After, 10% malformed JSON,
// 2% requests that hang past the client's timeout. The build completes with exactly `target` records, parse
// failures are stored with their reasons, and the endpoint never sees more requests at once than the worker's
// per-endpoint limit (no retry storm).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildProgress } from '../../src/workflows/build-input';
import { acceptedSoFar, activityRetries, auditFinishedBuild, buildResult, ingestFacts, startBuild } from '../../testkit/chaos/build-run';
import { sleep, startChaosStack, waitFor, type ChaosStack } from '../../testkit/chaos/harness';
import { recordChaosFigures } from '../../testkit/chaos/report';
import { findSecrets, scanWorkflowHistories } from './secrets';

const TARGET = 100;
const BATCH_SIZE = 2;
const CONCURRENCY_LIMIT = 8;
const CLIENT_TIMEOUT_MS = 3000;
/**
 * "Malformed JSON" in its three real forms, 10% together: chatty JSON that jsonrepair fixes (a preface, unquoted
 * keys, a trailing comma), JSON cut off as at a token limit, and prose instead of JSON.
 */
const FAULT_RATES = {
  server_error: 0.1,
  rate_limit: 0.1,
  malformed_json: 0.04,
  truncated_json: 0.03,
  not_json: 0.03,
  hang: 0.02,
};

let stack: ChaosStack;

beforeAll(async () => {
  stack = await startChaosStack({
    name: 'llm-faults',
    llm: { latencyMs: 30, faults: FAULT_RATES, hangMs: 20_000, retryAfterSeconds: 1 },
    workerEnv: {
      DATACREEK_LLM_CONCURRENCY: String(CONCURRENCY_LIMIT),
      DATACREEK_LLM_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
      // Embeddings through the same faulty endpoint, under the same limit.
      DATACREEK_EMBEDDING_PROVIDER: 'openai',
      DATACREEK_EMBEDDING_MODEL: 'datacreek-test-embedding',
    },
  });
});

afterAll(async () => {
  await stack?.close();
});

describe('a faulty LLM endpoint', () => {
  it('completes exactly, keeps parse failures with reasons, and never exceeds the concurrency limit', async () => {
    const started = Date.now();
    const events: string[] = [];
    const log = (event: string) => {
      events.push(event);
      console.log(`[chaos llm-faults] ${event}`);
    };
    const datasetId = 'llm-faults';
    await ingestFacts(stack, datasetId);
    stack.llm.resetStats();
    // One of each kind up front, so every kind is certain to happen in this run; the rates do the rest.
    stack.llm.setOptions({ forcedFaults: ['hang', 'server_error', 'rate_limit', 'malformed_json', 'truncated_json'] });
    // Rounds enough for the faults' low yield: near the target the launch policy sends small batches (fewer items per
    // source) that use up rounds faster than they make records, and the default 20 rounds ran out at 90 of 100 in CI.
    const handle = await startBuild(stack, {
      datasetId,
      target: TARGET,
      batchSize: BATCH_SIZE,
      itemsPerChunk: 3,
      concurrency: 4,
      maxRounds: 100,
      scoring: { mode: 'judge' },
    });

    // The rates alone make a twice-failed answer (first answer and re-ask both unusable) rare, so a short stretch in
    // which the model answers only prose makes sure parse failures happen and must be kept.
    await waitFor('the first accepted records', async () => ((await acceptedSoFar(stack.db, datasetId)) >= TARGET * 0.2 ? true : undefined), 300_000);
    stack.llm.setOptions({ faults: { not_json: 1 } });
    log('3 s in which every chat answer is prose instead of JSON');
    await sleep(3000);
    stack.llm.setOptions({ faults: { not_json: FAULT_RATES.not_json } });

    const progress: BuildProgress = await buildResult(handle);
    log(`build finished: ${progress.stopReason}, ${progress.accepted} accepted, ${progress.parseFailures} parse failures`);
    const audit = await auditFinishedBuild(stack.db, datasetId, progress, BATCH_SIZE);
    const stats = stack.llm.stats();
    const served = stats.byStatus['200'] ?? 0;
    log(
      `LLM server: ${stats.requests} requests, ${served} answered 200, faults ${JSON.stringify(stats.faults)}, peak in flight ${stats.peakInFlight}, peak open ${stats.peakOpen}, client aborts ${stats.clientAborts}`,
    );

    const failures = await stack.db.sql<{ id: string; reject_detail: string | null; raw_output: string | null }[]>`
      select id, reject_detail, raw_output from records where dataset_id = ${datasetId} and reject_reason = 'parse_failure'`;
    const judgeFailures = audit.rejectedByReason.judge_failed ?? 0;
    log(`parse failures stored: ${failures.length}; records the judge could not rate: ${judgeFailures}`);
    const histories = await scanWorkflowHistories(stack.client, stack.secrets);
    const logHits = findSecrets(stack.worker.log, stack.secrets, 'worker log');

    recordChaosFigures({
      test: 'llm-faults',
      scenario: `LLM endpoint with 10% HTTP 500, 10% 429 + Retry-After, 10% malformed JSON, 2% hangs past a ${CLIENT_TIMEOUT_MS / 1000} s timeout`,
      durationMs: Date.now() - started,
      faultsInjected: stats.faults as Record<string, number>,
      llmRequests: stats.requests,
      peakInFlight: stats.peakInFlight,
      concurrencyLimit: CONCURRENCY_LIMIT,
      activityRetries: await activityRetries(stack.client, handle.workflowId),
      target: TARGET,
      accepted: audit.accepted,
      parseFailures: failures.length,
      recordsLost: audit.recordsLost,
      duplicates: audit.duplicates,
      historiesScanned: histories.histories,
      logBytesScanned: stack.worker.log.length,
      secretsFound: histories.hits.length + logHits.length,
      events,
    });

    expect(audit.violations).toEqual([]);
    expect(audit.accepted).toBe(TARGET);
    // Every kind of fault really happened.
    for (const kind of ['server_error', 'rate_limit', 'malformed_json', 'hang', 'not_json'])
      expect(stats.faults[kind as keyof typeof stats.faults] ?? 0).toBeGreaterThan(0);
    // Parse failures are visible: counted by the build, stored with the raw answer and the reason.
    expect(progress.parseFailures).toBeGreaterThan(0);
    expect(failures.length).toBeGreaterThanOrEqual(progress.parseFailures);
    for (const f of failures) {
      expect(f.reject_detail, f.id).toBeTruthy();
      expect(f.raw_output, f.id).toBeTruthy();
    }
    // The endpoint never served more at once than the worker's limit, and retries did not multiply the load.
    expect(stats.peakInFlight).toBeLessThanOrEqual(CONCURRENCY_LIMIT);
    expect(stats.requests).toBeLessThan(served * 2);
    expect([...histories.hits, ...logHits]).toEqual([]);
  });
});
