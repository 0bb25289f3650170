// Launches sized by the records still missing, end to end: a small judged build against the test LLM server
// (30 % of judge ratings below the threshold, 15 % planted duplicates) generates about what it keeps, with a
// default configuration that would have launched up to 12 batches of 8 chunks at once. With
// DATACREEK_RECORD_HISTORIES=1 it exports the run's history for the replay test.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import type { Database } from '../../../src/infra/db/client';
import type { BuildInput, BuildProgress } from '../../../src/workflows/build-input';
import { PROJECT_ROOT } from '../../../src/infra/config/load';
import { buildWorkflowId } from '../../../src/workflows/ids';
import type { RunningWorker } from '../../../src/worker/worker';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server';
import { exportHistory } from '../../../testkit/replay/history-file';
import { testClient, testConfig, testDatabase, testWorker, uniqueId } from '../../support/env';

let llm: TestLlmServer;
let config: DatacreekConfig;
let worker: RunningWorker;
let client: Client;
let db: Database;
let docPath: string;

/** 40 paragraphs of distinct facts: enough chunks for one wave of 12 batches of 8 chunks to be far too many. */
function sampleDocument(): string {
  return Array.from(
    { length: 40 },
    (_, i) =>
      `## Station ${i}\n\n` +
      Array.from(
        { length: 6 },
        (_, j) => `Station ${i} recorded reading ${(i * 37 + j * 11) % 101} on sensor ${String.fromCharCode(65 + ((i + j) % 26))} during week ${j + 1}.`,
      ).join(' '),
  ).join('\n\n');
}

beforeAll(async () => {
  llm = await startTestLlmServer({ latencyMs: 20 });
  config = testConfig({
    llm: { base_url: llm.url, model: 'datacreek-test-llm', concurrency: 32, timeout_ms: 10_000, retries: 3 },
    embedding: { provider: 'openai', base_url: llm.url, model: 'datacreek-test-embedding' },
    chunking: { chunk_size: 300, overlap: 0, whole_document_below: 100 },
    generation: { batch_size: 8, items_per_chunk: 5, max_batches_in_flight: 12 },
  });
  worker = await testWorker(config);
  client = await testClient(config);
  db = testDatabase(config);
  docPath = path.join(config.paths.data_dir, 'stations.md');
  writeFileSync(docPath, sampleDocument());
});

afterAll(async () => {
  await worker?.shutdown();
  await db?.close();
  await client?.connection.close();
  await llm?.close();
});

describe('buildDataset launching for what is missing', () => {
  it('a small judged build generates about what it keeps, in batches sized by what is missing', async () => {
    const datasetId = uniqueId('launch');
    const ingest = await client.workflow.execute('ingestWorkflow', {
      taskQueue: config.temporal.task_queue,
      workflowId: `ingest-${datasetId}`,
      args: [{ datasetId, items: [{ path: docPath }] }],
    });
    expect(ingest.totals.chunks).toBeGreaterThanOrEqual(40);

    const target = 20;
    const handle = await client.workflow.start('buildDataset', {
      taskQueue: config.temporal.task_queue,
      workflowId: buildWorkflowId(datasetId),
      args: [{ datasetId, target, scoring: { mode: 'judge', threshold: 7 } } satisfies BuildInput],
    });
    const progress: BuildProgress = await handle.result();
    expect(progress.accepted).toBe(target);

    const rows = await db.sql<{ status: string; n: number }[]>`
      select status, count(*)::int as n from records where dataset_id = ${datasetId} and content is not null group by 1`;
    const count = (status: string) => rows.find((r) => r.status === status)?.n ?? 0;
    expect(count('accepted')).toBe(target);
    expect(count('candidate')).toBe(0);
    // Surplus (generated, passing, never needed) within 10 % of the target; one full wave would have made ~480.
    expect(count('surplus')).toBeLessThanOrEqual(target * 0.1);
    // Everything generated, kept or not: the test server rejects about 30 % at the judge and plants duplicates, so a
    // build of 20 generates 53–68 (25 runs on a loaded machine); the wave sized by concurrency alone made ~480.
    const generated = rows.reduce((n, r) => n + r.n, 0);
    expect(generated).toBeLessThan(4 * target);

    // Batches hold what was missing, not always a full 8 chunks; together they never reuse a source item in a round.
    const batches = await db.sql<{ round: number; index: number; sources: number }[]>`
      select b.round, b.index, count(distinct r.chunk_id)::int as sources
      from batches b join records r on r.batch_id = b.id where b.dataset_id = ${datasetId} group by 1, 2 order by 1, 2`;
    expect(batches.some((b) => b.sources < 8)).toBe(true);
    const chunksUsed = await db.sql<{ chunk_id: string; n: number }[]>`
      select r.chunk_id, count(distinct r.batch_id)::int as n from records r
      where r.dataset_id = ${datasetId} and r.round = 1 group by 1 having count(distinct r.batch_id) > 1`;
    expect(chunksUsed).toEqual([]);

    const history = await handle.fetchHistory();
    const markers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes);
    expect(markers.length).toBeGreaterThan(0);
    // The new path is deterministic: its history replays against the workflow code without a nondeterminism error.
    await Worker.runReplayHistory({ workflowsPath: path.join(PROJECT_ROOT, 'src', 'workflows', 'index.ts') }, history, handle.workflowId);
    // Re-recording the committed history is asked for, never a side effect of running the tests.
    if (process.env.DATACREEK_RECORD_HISTORIES === '1') await exportHistory(client, { workflowId: handle.workflowId, name: 'launch-for-missing' });
  });
});
