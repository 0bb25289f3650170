// A pipeline as the generation stage of a build: `buildDataset` with `pipeline: "qa"` (configs/pipelines/qa.yaml)
// runs each source item through the pipeline's blocks and still ends with exactly `target` accepted records,
// deduplicated and judged as any build; a pipeline that does not validate fails the build before it starts.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import type { Database } from '../../../src/infra/db/client';
import type { BuildProgress } from '../../../src/workflows/build-input';
import { buildWorkflowId } from '../../../src/workflows/ids';
import type { RunningWorker } from '../../../src/worker/worker';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server';
import { testClient, testConfig, testDatabase, testWorker, uniqueId } from '../../support/env';

let llm: TestLlmServer;
let config: DatacreekConfig;
let worker: RunningWorker;
let client: Client;
let db: Database;

beforeAll(async () => {
  llm = await startTestLlmServer({ duplicates: { exact: 0, near: 0, semantic: 0 } });
  config = testConfig({
    llm: { base_url: llm.url, model: 'datacreek-test-llm', concurrency: 8, timeout_ms: 10_000, retries: 1 },
    embedding: { provider: 'lexical' },
    chunking: { chunk_size: 600, overlap: 50, whole_document_below: 500 },
    generation: { batch_size: 2, max_batches_in_flight: 2 },
  });
  worker = await testWorker(config);
  client = await testClient(config);
  db = testDatabase(config);
});

afterAll(async () => {
  await worker?.shutdown();
  await db?.close();
  await client?.connection.close();
  await llm?.close();
});

async function ingested(prefix: string): Promise<string> {
  const datasetId = uniqueId(prefix);
  const docPath = path.join(config.paths.data_dir, `${datasetId}.md`);
  const fixture = path.resolve(__dirname, '../../fixtures/instructlab/taxonomy/knowledge/phoenix/phoenix.md');
  writeFileSync(docPath, (await import('node:fs')).readFileSync(fixture, 'utf8'));
  await client.workflow.execute('ingestWorkflow', {
    taskQueue: config.temporal.task_queue,
    workflowId: `ingest-${datasetId}`,
    args: [{ datasetId, items: [{ path: docPath }] }],
  });
  return datasetId;
}

describe('build --pipeline', () => {
  it('accepts exactly the target from pipeline output', async () => {
    const datasetId = await ingested('pipe-build');
    const progress: BuildProgress = await client.workflow.execute('buildDataset', {
      taskQueue: config.temporal.task_queue,
      workflowId: buildWorkflowId(datasetId),
      args: [{ datasetId, target: 12, pipeline: 'qa', scoring: { mode: 'none' } }],
    });
    expect(progress.stopReason).toBe('target_reached');
    expect(progress.accepted).toBe(12);
    const accepted = await db.sql<{ content: { type: string; question: string; answer: string } }[]>`
      select content from records where dataset_id = ${datasetId} and status = 'accepted'`;
    expect(accepted).toHaveLength(12);
    for (const { content } of accepted) {
      expect(content.type).toBe('qa');
      // The qa pipeline's [QUESTION]/[ANSWER] parser made these, through the test server's tagged answers.
      expect(content.question).toMatch(/^What does the document say about /);
      expect(content.answer.length).toBeGreaterThan(0);
    }
  });

  it('refuses a pipeline that does not validate before any batch starts', async () => {
    const datasetId = await ingested('pipe-bad');
    const error = await client.workflow
      .execute('buildDataset', {
        taskQueue: config.temporal.task_queue,
        workflowId: buildWorkflowId(datasetId),
        args: [{ datasetId, target: 5, pipeline: 'version: "1.0"\nblocks:\n  - name: x\n    type: Nope\n    config: {}\n' }],
      })
      .then(
        () => undefined,
        (err) => err,
      );
    expect(String(error?.cause?.message)).toContain('"Nope" is not a block type');
  });
});
