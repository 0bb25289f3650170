// A model slower than the heartbeat timeout: each LLM call takes longer than the worker's heartbeat timeout, as a
// small local model on a busy machine does. Activities heartbeat on a timer, so no attempt is declared dead while
// it is still working, and none is started again beside it.
import type { Client } from '@temporalio/client';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import type { BuildProgress } from '../../../src/workflows/build-input';
import { buildWorkflowId } from '../../../src/workflows/ids';
import type { RunningWorker } from '../../../src/worker/worker';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server';
import { testClient, testConfig, testWorker, uniqueId } from '../../support/env';

const HEARTBEAT_TIMEOUT_MS = 1000;
const CALL_LATENCY_MS = 2500;

let llm: TestLlmServer;
let config: DatacreekConfig;
let worker: RunningWorker;
let client: Client;

beforeAll(async () => {
  llm = await startTestLlmServer({ latencyMs: CALL_LATENCY_MS });
  config = testConfig({
    llm: { base_url: llm.url, model: 'datacreek-test-llm', concurrency: 2, timeout_ms: 20_000, retries: 1 },
    embedding: { provider: 'lexical' },
    generation: { batch_size: 1, items_per_chunk: 3, max_batches_in_flight: 2 },
    worker: { heartbeat_timeout_ms: HEARTBEAT_TIMEOUT_MS },
  });
  worker = await testWorker(config);
  client = await testClient(config);
});

afterAll(async () => {
  await worker?.shutdown();
  await client?.connection.close();
  await llm?.close();
});

describe('a model slower than the heartbeat timeout', () => {
  it('builds without a single heartbeat timeout or retried attempt', async () => {
    const datasetId = uniqueId('slow');
    const doc = path.join(config.paths.data_dir, 'slow.md');
    writeFileSync(doc, 'Glaciers move slowly downhill under their own weight. They carve valleys and leave moraines behind.');
    await client.workflow.execute('ingestWorkflow', {
      taskQueue: config.temporal.task_queue,
      workflowId: `ingest-${datasetId}`,
      args: [{ datasetId, items: [{ path: doc }] }],
    });
    const handle = await client.workflow.start('buildDataset', {
      taskQueue: config.temporal.task_queue,
      workflowId: buildWorkflowId(datasetId),
      args: [{ datasetId, target: 3, scoring: { mode: 'none' }, dedup: { semantic: { enabled: false } } }],
    });
    const progress: BuildProgress = await handle.result();
    expect(progress).toMatchObject({ stopReason: 'target_reached', accepted: 3 });

    const events = (await handle.fetchHistory()).events ?? [];
    const timeouts = events.filter((e) => e.activityTaskTimedOutEventAttributes);
    expect(timeouts).toEqual([]);
    const attempts = events.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(attempts.length).toBeGreaterThan(2);
    expect(attempts.every((a) => a === 1)).toBe(true);
    // The calls really were slower than the heartbeat timeout.
    expect(CALL_LATENCY_MS).toBeGreaterThan(HEARTBEAT_TIMEOUT_MS * 2);
  });
});
