// Benchmark 4: scale. A large build (20k records by default, 100k with --full) against a fast simulated endpoint,
// so the build loop's own costs are what is measured: the worker's memory over time (it should stay flat: records
// live in PostgreSQL, not in the worker or the history), the events of every workflow run (continue-as-new keeps
// each under Temporal's suggestion, 4,096 by default), and PostgreSQL bulk-write throughput of the write paths
// the build uses (multi-row INSERT and the unnest() UPDATEs of build-writes.ts).
import { signature, signatureToBuffer } from '../src/domain/dedup/minhash';
import { writeAcceptances, writeDedupPrep } from '../src/activities/build-writes';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDatabase, type Sql } from '../src/infra/db/client';
import { openVectorStore } from '../src/infra/vectors/store';
import { seedSyntheticDataset } from './support/corpus';
import { startLlmServerProcess } from './support/llm-process';
import { runMeasuredBuild } from './support/measured-build';
import { consoleLog, figure, type Log } from './support/report';
import { startBenchServices } from './support/stack';

export interface ScaleBenchOptions {
  target?: number;
  /** Rows per bulk-write measurement. */
  writeRows?: number;
  log?: Log;
}

export interface ScaleBenchResult {
  wallSeconds: number;
  recordsPerSecond: number;
  rssMb: { at: number; mb: number; heapMb: number }[];
  /** RSS at the end ÷ RSS at a fifth of the build: 1.0 is flat. */
  rssGrowth: number;
  historyEventsPerRun: number[];
  bulkRowsPerSecond: { insert: number; dedupPrepUpdate: number; vectorWrite: number; prepWithVectors: number; acceptUpdate: number };
}

const HISTORY_LIMIT = 10_000;
const BULK_TARGET = 20_000;

export async function runScaleBench(options: ScaleBenchOptions = {}): Promise<ScaleBenchResult> {
  const log = options.log ?? consoleLog;
  const target = options.target ?? 20_000;
  const slots = 64;
  log(`scale: a ${target.toLocaleString('en-US')}-record build against a fast endpoint (C = ${slots}, L = 2 ms), history limits at Temporal's defaults`);
  const services = await startBenchServices('scale');
  const llm = await startLlmServerProcess({ concurrency: slots, latencyMs: 2 });
  try {
    const build = await runMeasuredBuild({
      services,
      llm,
      slots,
      datasetId: `bench-scale-${target}`,
      chunks: Math.ceil(target / 1.4),
      target,
      sampleEveryMs: 1000,
      log,
    });
    const wallSeconds = build.wallMs / 1000;
    const points = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].map((share) => {
      const at = share * build.wallMs;
      const sample = build.samples.reduce((best, s) => (Math.abs(s.t - at) < Math.abs(best.t - at) ? s : best), build.samples[0]);
      return { at: share, mb: sample.rssMb, heapMb: sample.heapMb };
    });
    const rssGrowth = points[points.length - 1].mb / points[1].mb;
    const historyEventsPerRun = build.runs.map((r) => r.events);
    log(figure('records/s (whole build)', target / wallSeconds, `${wallSeconds.toFixed(0)} s, ${build.server.requests.toLocaleString('en-US')} LLM requests`));
    log(`  worker RSS at 10 %, 20 % … 100 % of the build (MB): ${points.map((p) => p.mb.toFixed(0)).join(' ')}`);
    log(`  worker JS heap in use at the same points (MB):      ${points.map((p) => p.heapMb.toFixed(0)).join(' ')}`);
    log(figure('RSS at the end ÷ RSS at 20 %', rssGrowth, '(1.0 = flat)'));
    log(figure('history events, largest run', Math.max(...historyEventsPerRun), `over ${build.runs.length} run(s)`, { atMost: HISTORY_LIMIT }));
    log(figure('worker CPU (cores busy)', build.workerCpuShare, `event-loop p99 ${build.eventLoopP99Ms.toFixed(0)} ms`));

    const db = connectDatabase(services.databaseUrl, { poolSize: 2 });
    try {
      const bulkRowsPerSecond = await measureBulkWrites(db.sql, options.writeRows ?? Math.min(100_000, Math.max(20_000, target)), log);
      return { wallSeconds, recordsPerSecond: target / wallSeconds, rssMb: points, rssGrowth, historyEventsPerRun, bulkRowsPerSecond };
    } finally {
      await db.close();
    }
  } finally {
    await llm.close();
    await services.stop();
  }
}

/** The build's write paths on `rows` fresh records: insert (as generation does), dedup-prep update, acceptance. */
async function measureBulkWrites(sql: Sql, rows: number, log: Log): Promise<ScaleBenchResult['bulkRowsPerSecond']> {
  const datasetId = 'bench-bulk-writes';
  await seedSyntheticDataset(sql, datasetId, 1);
  const statementRows = 1000;
  const vector = Array.from({ length: 384 }, (_, i) => Math.sin(i) / 20);
  const ids = Array.from({ length: rows }, (_, i) => `bulk/r1/b${Math.floor(i / statementRows)}/${i}`);
  const content = (i: number) => ({ question: `What is item ${i}?`, answer: `Item ${i} is a measured thing of the bulk write bench.` });

  let started = performance.now();
  for (let i = 0; i < rows; i += statementRows) {
    const slice = ids.slice(i, i + statementRows).map((id, k) => ({
      id,
      dataset_id: datasetId,
      batch_id: `bulk/r1/b${Math.floor((i + k) / statementRows)}`,
      round: 1,
      position: i + k,
      status: 'candidate',
      type: 'qa',
      content: sql.json(content(i + k)),
    }));
    await sql`insert into records ${sql(slice)} on conflict (id) do nothing`;
  }
  const insert = rows / ((performance.now() - started) / 1000);

  started = performance.now();
  for (let i = 0; i < rows; i += statementRows) {
    await writeDedupPrep(
      sql,
      ids.slice(i, i + statementRows).map((id, k) => ({
        id,
        contentHash: `hash-${i + k}`,
        minhash: signatureToBuffer(signature(content(i + k).answer)),
        content: content(i + k),
      })),
    );
  }
  const prepSeconds = (performance.now() - started) / 1000;
  const dedupPrepUpdate = rows / prepSeconds;

  // The vectors go to LanceDB (as processing and acceptance write them), in the same statement-sized batches.
  const dir = mkdtempSync(join(tmpdir(), 'datacreek-bench-vectors-'));
  const store = await openVectorStore(dir);
  started = performance.now();
  try {
    for (let i = 0; i < rows; i += statementRows) {
      await store.upsert(
        'records__bench',
        ids.slice(i, i + statementRows).map((id, k) => ({ id, vector, text: JSON.stringify(content(i + k)) })),
      );
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const vectorSeconds = (performance.now() - started) / 1000;
  const vectorWrite = rows / vectorSeconds;
  const prepWithVectors = rows / (prepSeconds + vectorSeconds);

  started = performance.now();
  for (let i = 0; i < rows; i += statementRows) await writeAcceptances(sql, ids.slice(i, i + statementRows), i + 1);
  const acceptUpdate = rows / ((performance.now() - started) / 1000);

  log(`  PostgreSQL bulk writes, ${rows.toLocaleString('en-US')} rows in statements of ${statementRows}:`);
  log(figure('INSERT records (generation)', insert, 'rows/s', { atLeast: BULK_TARGET }));
  log(figure('UPDATE dedup prep (hash, MinHash)', dedupPrepUpdate, 'rows/s', { atLeast: BULK_TARGET }));
  log(figure('LanceDB vector upsert (384-d)', vectorWrite, 'rows/s', { atLeast: BULK_TARGET }));
  log(figure('dedup prep + vectors, together', prepWithVectors, 'rows/s', { atLeast: BULK_TARGET }));
  log(figure('UPDATE acceptances', acceptUpdate, 'rows/s', { atLeast: BULK_TARGET }));
  return { insert, dedupPrepUpdate, vectorWrite, prepWithVectors, acceptUpdate };
}
