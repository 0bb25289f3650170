// Curation and export end to end: an imported dataset (the Synthetic Data Kit sample QA pairs plus Alpaca demo
// records) is curated by the judge through the real workflow, augmented, reported on, then exported to every
// format with deterministic splits, each export passing its own validator.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import { PROJECT_ROOT } from '../../../src/infra/config/load';
import type { Database } from '../../../src/infra/db/client';
import { validateExport } from '../../../src/domain/formats';
import type { RecordContent } from '../../../src/domain/records/types';
import { dedupKeyColumns } from '../../../src/activities/batch-dedup-prep';
import type { CurateResult, ExportResult } from '../../../src/workflows/curate-input';
import type { RunningWorker } from '../../../src/worker/worker';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server';
import { testClient, testConfig, testDatabase, testWorker, uniqueId } from '../../support/env';

let llm: TestLlmServer;
let config: DatacreekConfig;
let worker: RunningWorker;
let client: Client;
let db: Database;
let datasetId: string;

const ALPACA = path.join(PROJECT_ROOT, 'tests/fixtures/datasets/alpaca_en_demo_200.json');

beforeAll(async () => {
  llm = await startTestLlmServer({ duplicates: { exact: 0, near: 0, semantic: 0 } });
  config = testConfig({
    llm: { base_url: llm.url, model: 'datacreek-test-llm', timeout_ms: 10_000 },
    embedding: { provider: 'lexical' },
  });
  worker = await testWorker(config);
  client = await testClient(config);
  db = testDatabase(config);
  datasetId = uniqueId('curate');
  const ingest = await client.workflow.execute('ingestWorkflow', {
    taskQueue: config.temporal.task_queue,
    workflowId: `ingest-${datasetId}`,
    args: [{ datasetId, items: [{ path: ALPACA }] }],
  });
  expect(ingest.totals.seedRecords).toBe(200);
});

afterAll(async () => {
  await worker?.shutdown();
  await db?.close();
  await client?.connection.close();
  await llm?.close();
});

describe('curateDataset and exportDataset', () => {
  it('curates an imported dataset: judge threshold, metrics that add up, augmentation, the quality report', async () => {
    const result: CurateResult = await client.workflow.execute('curateDataset', {
      taskQueue: config.temporal.task_queue,
      workflowId: uniqueId(`curate-${datasetId}`),
      args: [{ datasetId, threshold: 7, augment: { kinds: ['paraphrase'], ratio: 0.05 } }],
    });
    expect(result.total).toBe(200);
    const removed = Object.values(result.removed).reduce((a, b) => a + b, 0);
    expect(result.kept + removed).toBe(result.total);
    expect(result.removed.curate_low_score).toBeGreaterThan(0);
    expect(result.retentionRate).toBeCloseTo(result.kept / 200, 5);
    expect(result.averageScore).toBeGreaterThan(1);
    expect(result.augmented).toBeGreaterThan(0);

    const [{ accepted }] = await db.sql<{ accepted: number }[]>`
      select count(*)::int as accepted from records where dataset_id = ${datasetId} and status = 'accepted'`;
    expect(accepted).toBe(result.kept + result.augmented);
    const [{ low }] = await db.sql<{ low: number }[]>`
      select count(*)::int as low from records where dataset_id = ${datasetId} and status = 'accepted' and score < 7 and id not like 'augment/%'`;
    expect(low).toBe(0);
    // Adopted and augmented records carry the keys a later build's dedup looks them up by, those of their content.
    const keyed = await db.sql<{ content: RecordContent; content_hash: string; minhash: Buffer | null }[]>`
      select content, content_hash, minhash from records where dataset_id = ${datasetId} and status = 'accepted'`;
    expect(keyed.length).toBe(accepted);
    for (const row of keyed) {
      const keys = dedupKeyColumns(row.content);
      expect(row.content_hash).toBe(keys.content_hash);
      expect(row.minhash && Buffer.compare(row.minhash, keys.minhash)).toBe(0);
    }

    const html = readFileSync(result.report!.html, 'utf8');
    expect(html).toContain('<svg');
    const report = JSON.parse(readFileSync(result.report!.json, 'utf8'));
    expect(report.counts.total).toBe(accepted);
  });

  it('exports to every format with deterministic splits, each passing its validator', async () => {
    const formats = ['alpaca', 'openai-chat', 'sharegpt', 'jsonl', 'csv', 'hf'] as const;
    const splitsSeen: Record<string, string[]> = {};
    for (const format of formats) {
      const result: ExportResult = await client.workflow.execute('exportDataset', {
        taskQueue: config.temporal.task_queue,
        workflowId: uniqueId(`export-${format}`),
        args: [{ datasetId, format, seed: 7 }],
      });
      const total = result.files.reduce((n, f) => n + f.records, 0);
      expect(total).toBe(result.recordCount);
      const train = result.files.find((f) => f.split === 'train')!;
      expect(train.records).toBe(Math.round(result.recordCount * 0.8));
      if (format !== 'hf') {
        for (const f of result.files) {
          const v = await validateExport({ path: f.path } as never, format as never);
          expect(v.problems, `${format} ${f.split}`).toEqual([]);
        }
        if (format === 'alpaca' || format === 'openai-chat') {
          splitsSeen[format] = result.files.map((f) => `${f.split}:${f.records}`);
        }
      }
    }
    // The same seed splits the same records the same way whatever the format.
    expect(splitsSeen.alpaca).toEqual(splitsSeen['openai-chat']);
    const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from exports where dataset_id = ${datasetId}`;
    expect(n).toBe(formats.length);
  });

  it('refuses a format the records cannot be carried in, naming it', async () => {
    const err = await client.workflow
      .execute('exportDataset', { taskQueue: config.temporal.task_queue, workflowId: uniqueId('export-dpo'), args: [{ datasetId, format: 'dpo' }] })
      .catch((e) => e);
    expect(String(err.cause?.message)).toMatch(/dpo/);
  });
});
