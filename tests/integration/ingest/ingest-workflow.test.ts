// The first real workflow end to end: files ingested through a real worker on the real dev server,
// chunks asserted in PostgreSQL and LanceDB, idempotent when run again, one bad file failing alone.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import type { Database } from '../../../src/infra/db/client';
import { openVectorStore } from '../../../src/infra/vectors';
import { chunkTableName } from '../../../src/infra/vectors/table-names';
import type { IngestResult } from '../../../src/workflows/ingest-input';
import type { RunningWorker } from '../../../src/worker/worker';
import { testClient, testConfig, testDatabase, testWorker, uniqueId } from '../../support/env';

let config: DatacreekConfig;
let worker: RunningWorker;
let client: Client;
let db: Database;
let folder: string;

const paragraph = (topic: string, i: number) =>
  `Section ${i} about ${topic}. The ${topic} process has several stages that matter for anyone studying it closely. ` +
  `Each stage of ${topic} is documented here with enough detail to ask and answer questions about it.\n\n`;

beforeAll(async () => {
  config = testConfig({ chunking: { chunk_size: 1000, overlap: 100, whole_document_below: 800 } });
  worker = await testWorker(config);
  client = await testClient(config);
  db = testDatabase(config);
  folder = mkdtempSync(path.join(config.paths.data_dir, 'docs-'));
  writeFileSync(path.join(folder, 'short.md'), '# Rivers\n\nRivers carry water from mountains to the sea.\n');
  writeFileSync(path.join(folder, 'long.txt'), Array.from({ length: 40 }, (_, i) => paragraph('photosynthesis', i)).join(''));
  mkdirSync(path.join(folder, 'nested'));
  writeFileSync(path.join(folder, 'nested', 'empty.txt'), '');
  writeFileSync(path.join(folder, 'nested', 'binary.txt'), Buffer.from([0, 1, 2, 3, 0, 0, 255, 254, 0, 7, 8, 0]));
});

afterAll(async () => {
  await worker?.shutdown();
  await db?.close();
  await client?.connection.close();
});

async function ingest(datasetId: string, items: object[]): Promise<IngestResult> {
  return client.workflow.execute('ingestWorkflow', {
    taskQueue: config.temporal.task_queue,
    workflowId: uniqueId(`ingest-${datasetId}`),
    args: [{ datasetId, items }],
  });
}

describe('ingestWorkflow', () => {
  it('ingests a folder into chunks, each bad file failing alone with its reason', async () => {
    const datasetId = uniqueId('ingest');
    const result = await ingest(datasetId, [{ path: folder }]);
    const byName = Object.fromEntries(result.files.map((f) => [path.basename(f.item), f]));
    expect(byName['short.md'].status).toBe('ingested');
    expect(byName['short.md'].chunks).toBe(1);
    expect(byName['long.txt'].status).toBe('ingested');
    expect(byName['long.txt'].chunks).toBeGreaterThan(3);
    expect(byName['empty.txt'].status).toBe('failed');
    expect(byName['empty.txt'].error?.code).toMatch(/empty/);
    expect(byName['binary.txt'].status).toBe('failed');
    expect(byName['binary.txt'].error?.message).toContain('binary.txt');
    expect(result.totals).toMatchObject({ ingested: 2, failed: 2 });

    const chunks = await db.sql<{ text: string; start_offset: number; end_offset: number }[]>`
      select c.text, c.start_offset, c.end_offset from chunks c join sources s on s.id = c.source_id
      where c.dataset_id = ${datasetId} and s.file_name = 'long.txt' order by c.index`;
    expect(chunks.length).toBe(byName['long.txt'].chunks);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(1000);
    // Consecutive chunks overlap (sliding window).
    expect(chunks[1].start_offset).toBeLessThan(chunks[0].end_offset);

    const store = await openVectorStore(config.paths.lancedb_dir);
    expect(await store.count(chunkTableName(datasetId))).toBe(result.totals.chunks);
    await store.close();
  });

  it('is idempotent: ingesting the same content again is a no-op', async () => {
    const datasetId = uniqueId('ingest-again');
    const file = path.join(folder, 'short.md');
    const first = await ingest(datasetId, [{ path: file }]);
    const second = await ingest(datasetId, [{ path: file }]);
    expect(first.files[0].status).toBe('ingested');
    expect(second.files[0].status).toBe('unchanged');
    expect(second.files[0].sourceId).toBe(first.files[0].sourceId);
    const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from chunks where dataset_id = ${datasetId}`;
    expect(n).toBe(1);
    const [{ s }] = await db.sql<{ s: number }[]>`select count(*)::int as s from sources where dataset_id = ${datasetId}`;
    expect(s).toBe(1);
  });

  it('fails the whole run at once, with every problem, on invalid input', async () => {
    const err = await client.workflow
      .execute('ingestWorkflow', {
        taskQueue: config.temporal.task_queue,
        workflowId: uniqueId('ingest-invalid'),
        args: [{ datasetId: 'Bad Id!', items: [] }],
      })
      .catch((e) => e);
    const message = String(err?.cause?.message ?? err);
    expect(message).toContain('datasetId');
    expect(message).toContain('items');
  });
});
