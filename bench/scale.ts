// Benchmark 4: scale. A large build (20k records by default, 100k with --full) against a fast simulated endpoint,
// so the build loop's own costs are what is measured: the worker's memory over time (it should stay flat: records
// live in PostgreSQL, not in the worker or the history), the events of every workflow run (continue-as-new keeps
// each under Temporal's suggestion, 4,096 by default), and PostgreSQL bulk-write throughput of the write paths
// the build uses (multi-row INSERT, the unnest() UPDATEs, and the LanceDB vector merges beside them).
import { signature, signatureToBuffer } from '../src/domain/dedup/minhash';
import { acceptCandidatesInOrder } from '../src/activities/accepted-set';
import { writeAcceptedVectors } from '../src/activities/accepted-vectors';
import { writeDedupPrep } from '../src/activities/build-writes';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDatabase, type Sql } from '../src/infra/db/client';
import { openVectorStore } from '../src/infra/vectors/store';
import { recordTableName } from '../src/infra/vectors/table-names';
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
  rssMb: { at: number; mb: number; heapMb: number; heapCommittedMb: number; externalMb: number; lanceCacheMb: number }[];
  /** RSS at the end ÷ RSS at a fifth of the build: 1.0 is flat. */
  rssGrowth: number;
  historyEventsPerRun: number[];
  bulkRowsPerSecond: {
    insert: number;
    insertOneWriter: number;
    vectorMerge: number;
    processingWithVectors: number;
    processingRewritten: number;
    acceptanceWithVectors: number;
    acceptanceMaintained: number;
  };
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
      return {
        at: share,
        mb: sample.rssMb,
        heapMb: sample.heapMb,
        heapCommittedMb: sample.heapCommittedMb,
        externalMb: sample.externalMb,
        lanceCacheMb: sample.lanceCacheMb,
      };
    });
    const rssGrowth = points[points.length - 1].mb / points[1].mb;
    const historyEventsPerRun = build.runs.map((r) => r.events);
    log(figure('records/s (whole build)', target / wallSeconds, `${wallSeconds.toFixed(0)} s, ${build.server.requests.toLocaleString('en-US')} LLM requests`));
    log(`  worker RSS at 10 %, 20 % … 100 % of the build (MB): ${points.map((p) => p.mb.toFixed(0)).join(' ')}`);
    log(`  worker JS heap in use at the same points (MB):      ${points.map((p) => p.heapMb.toFixed(0)).join(' ')}`);
    // What RSS holds beyond these three rows is native: workflow threads, Temporal's core, LanceDB outside its
    // caches, malloc's free lists.
    log(`  worker JS heap committed (MB):                      ${points.map((p) => p.heapCommittedMb.toFixed(0)).join(' ')}`);
    log(`  typed arrays and Buffers outside the heap (MB):     ${points.map((p) => p.externalMb.toFixed(0)).join(' ')}`);
    log(`  LanceDB's index and metadata caches (MB):           ${points.map((p) => p.lanceCacheMb.toFixed(0)).join(' ')}`);
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

/**
 * The build's write paths on `rows` fresh records, in statement-sized batches, each as the activity runs it:
 * generation's INSERT (with the dedup keys: content hash, MinHash); processing's candidate vectors into LanceDB
 * (no PostgreSQL row to rewrite when no filter changed the content); acceptance's
 * locked transaction (`acceptCandidatesInOrder`) beside the accepted vectors in LanceDB. Also, without a target,
 * what a filter that rewrites every record's content adds to processing. Signatures and vectors are computed
 * before the clock starts: the activities compute them before writing.
 */
export async function measureBulkWrites(sql: Sql, rows: number, log: Log): Promise<ScaleBenchResult['bulkRowsPerSecond']> {
  const datasetId = 'bench-bulk-writes';
  await seedSyntheticDataset(sql, datasetId, 1);
  const statementRows = 1000;
  const vector = Float32Array.from({ length: 384 }, (_, i) => Math.sin(i) / 20);
  const ids = Array.from({ length: rows }, (_, i) => `bulk/r1/b${Math.floor(i / statementRows)}/${i}`);
  const content = (i: number) => ({ question: `What is item ${i}?`, answer: `Item ${i} is a measured thing of the bulk write bench.` });
  // The dedup keys generation stores with each candidate (content hash, MinHash of its text).
  const keys = ids.map((_, i) => ({ contentHash: `hash-${i}`, minhash: signatureToBuffer(signature(content(i).answer)) }));
  const vectorRows = ids.map((id, i) => ({ id, vector, text: JSON.stringify(content(i)) }));
  // `writers` statements at a time, each taking the next batch: a build inserts from many generation activities at
  // once (up to the endpoint's slots), while acceptance holds its dataset's lock and so writes one batch at a time.
  const batches =
    (write: (from: number, to: number) => Promise<unknown>, writers = 1) =>
    async () => {
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          for (let i = next; i < rows; i = next) {
            next += statementRows;
            await write(i, Math.min(rows, i + statementRows));
          }
        }),
      );
      return rows / ((performance.now() - started) / 1000);
    };

  // `round` keeps the two rounds' hashes apart: both end accepted, and accepted content is unique per dataset.
  const insertRows = (rowIds: string[], round: number, writers: number) =>
    batches((from, to) => {
      const slice = rowIds.slice(from, to).map((id, k) => ({
        id,
        dataset_id: datasetId,
        batch_id: `bulk${round}/r1/b${Math.floor((from + k) / statementRows)}`,
        round: 1,
        position: from + k,
        status: 'candidate',
        type: 'qa',
        content: sql.json(content(from + k)),
        content_hash: `${keys[from + k].contentHash}/${round}`,
        minhash: keys[from + k].minhash,
      }));
      return sql`insert into records ${sql(slice)} on conflict (id) do nothing`;
    }, writers)();
  // Two statements at a time, one per core of this machine (the pool has two connections).
  const insert = await insertRows(ids, 1, 2);

  // The vectors go to LanceDB (as processing and acceptance write them), in the same statement-sized batches.
  const dir = mkdtempSync(join(tmpdir(), 'datacreek-bench-vectors-'));
  const store = await openVectorStore(dir);
  try {
    // Each path alone on a scratch copy of the rows, then together as the activities run them.
    const vectorsAlone = await batches((from, to) => store.upsert('alone__bench', vectorRows.slice(from, to)))();
    // Processing with no filter that changes content (the default): the keys are in, no row is rewritten.
    const processing = await batches((from, to) => store.upsert('candidates__bench', vectorRows.slice(from, to)))();
    // Processing after a filter step (PII redaction, HTML cleaning) changed every record: content and keys rewritten.
    const processingRewritten = await batches((from, to) =>
      sql.begin((tx) =>
        Promise.all([
          writeDedupPrep(
            tx,
            ids.slice(from, to).map((id, k) => ({ id, ...keys[from + k], contentHash: `${keys[from + k].contentHash}/1`, content: content(from + k) })),
          ),
          store.upsert('rewritten__bench', vectorRows.slice(from, to)),
        ]),
      ),
    )();
    const acceptance = await batches((from, to) =>
      sql.begin((tx) =>
        Promise.all([
          acceptCandidatesInOrder(tx, datasetId, ids.slice(from, to), from + 1),
          writeAcceptedVectors(store, 'bench-plain', vectorRows.slice(from, to), { firstAttempt: true }),
        ]),
      ),
    )();
    // Acceptance once more on as many fresh candidates, now with the accepted-vector table maintained every 2,000
    // rows as the build maintains it (compaction, id and IVF indexes; the maintenance itself is not timed): a
    // maintained table is what acceptance merges into during a real build.
    const moreIds = ids.map((id) => id.replace(/^bulk\//, 'bulk2/'));
    // The same INSERT from a single writer, for comparison (these rows are accepted below).
    const insertOneWriter = await insertRows(moreIds, 2, 1);
    let maintainedWriteMs = 0;
    for (let from = 0; from < rows; from += statementRows) {
      const to = Math.min(rows, from + statementRows);
      const started = performance.now();
      await sql.begin((tx) =>
        Promise.all([
          acceptCandidatesInOrder(tx, datasetId, moreIds.slice(from, to), rows + from + 1),
          writeAcceptedVectors(
            store,
            'bench-maintained',
            vectorRows.slice(from, to).map((row, k) => ({ ...row, id: moreIds[from + k] })),
            { firstAttempt: true },
          ),
        ]),
      );
      maintainedWriteMs += performance.now() - started;
      if (Math.floor(from / 2000) !== Math.floor(to / 2000)) await store.maintain(recordTableName('bench-maintained'), { indexAtRows: 4000 });
    }
    const acceptanceMaintained = rows / (maintainedWriteMs / 1000);

    const [{ prepared }] = await sql<
      { prepared: number }[]
    >`select count(*)::int as prepared from records where dataset_id = ${datasetId} and status = 'accepted' and minhash is not null`;
    if (prepared !== 2 * rows) throw new Error(`bulk-write bench: ${prepared} of ${2 * rows} rows were prepared and accepted`);

    log(`  Bulk writes of the build, ${rows.toLocaleString('en-US')} rows in batches of ${statementRows} (PostgreSQL statements, LanceDB writes):`);
    log(figure('INSERT records (generation, 2 statements at a time)', insert, 'rows/s', { atLeast: BULK_TARGET }));
    log(figure('INSERT records, one statement at a time', insertOneWriter, 'rows/s'));
    log(figure('LanceDB vector merge alone (384-d)', vectorsAlone, 'rows/s', { atLeast: BULK_TARGET }));
    log(figure('processing: candidate vectors (keys went in with the INSERT)', processing, 'rows/s', { atLeast: BULK_TARGET }));
    log(figure('processing, a filter rewrote every record', processingRewritten, 'rows/s'));
    log(figure('acceptance: accept + vectors', acceptance, 'rows/s', { atLeast: BULK_TARGET }));
    log(figure('acceptance, vector table maintained every 2,000', acceptanceMaintained, 'rows/s', { atLeast: BULK_TARGET }));
    return {
      insert,
      insertOneWriter,
      vectorMerge: vectorsAlone,
      processingWithVectors: processing,
      processingRewritten,
      acceptanceWithVectors: acceptance,
      acceptanceMaintained,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
