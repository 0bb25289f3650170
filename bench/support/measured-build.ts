// One real build, measured: a worker in this process (real Temporal, PostgreSQL, LanceDB) building from a
// synthetic corpus against the test LLM server in its own process. Samples the server's slots and the worker's
// memory while it runs, and reads every run's history (continue-as-new makes a chain) afterwards.
import type { Client } from '@temporalio/client';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { mkdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { mergeDeep } from '../../src/infra/common/deep-merge';
import { loadConfig } from '../../src/infra/config/load';
import type { DatacreekConfig } from '../../src/infra/config/schema';
import { connectDatabase } from '../../src/infra/db/client';
import { endpointGateStats } from '../../src/activities/build-gate';
import { clearEndpointLimiters, endpointLimiterStats } from '../../src/infra/llm/endpoint-limiter';
import { vectorCacheBytes } from '../../src/infra/vectors/store';
import type { BuildInput, BuildProgress } from '../../src/workflows/build-input';
import { buildWorkflowId } from '../../src/workflows/ids';
import { startWorker } from '../../src/worker/worker';
import type { ServerStats } from '../../testkit/llm-server';
import { seedSyntheticDataset } from './corpus';
import type { LlmServerProcess } from './llm-process';
import type { BenchServices } from './stack';

export interface MeasuredBuildOptions {
  services: BenchServices;
  llm: LlmServerProcess;
  /** The endpoint's slots C. */
  slots: number;
  /** The worker's llm.concurrency (requests it sends at once); default C. */
  clientConcurrency?: number;
  datasetId: string;
  chunks: number;
  target: number;
  /** Config overrides for the worker (generation.batch_size …), merged over the bench defaults. */
  config?: Record<string, unknown>;
  input?: Partial<BuildInput>;
  /**
   * Fills the dataset before the build, with the build's worker running (to ingest real documents through the
   * ingest workflow); default: the synthetic corpus of `chunks` chunks. Its LLM calls are not counted.
   */
  prepare?: (ctx: { client: Client; taskQueue: string }) => Promise<void>;
  sampleEveryMs?: number;
  log?: (line: string) => void;
}

export interface Sample {
  /** ms since the build started. */
  t: number;
  inFlight: number;
  /** Requests the worker holds back for want of a slot (in its endpoint limiter or build gate): work ready to go. */
  queued: number;
  /** Requests answered so far. */
  completed: number;
  rssMb: number;
  /** V8 heap in use (live objects and garbage not yet collected). */
  heapMb: number;
  /** V8 heap committed: what the JS heap holds of RSS, in use or not. */
  heapCommittedMb: number;
  /** Memory of typed arrays and Buffers outside the V8 heap (the band index's arrays, signatures, Arrow data). */
  externalMb: number;
  /** LanceDB's index and metadata caches (bounded by dedup.semantic.lancedb_cache_mb). */
  lanceCacheMb: number;
}

export interface RunHistory {
  runId: string;
  events: number;
  activities: Record<string, number>;
}

export interface MeasuredBuild {
  progress: BuildProgress;
  wallMs: number;
  server: ServerStats;
  samples: Sample[];
  runs: RunHistory[];
  /** CPU time of this process (the worker) ÷ wall time: 1.0 = one core busy all the time. */
  workerCpuShare: number;
  /** The worker's event-loop delay, p99 in ms: high means activities wait for the CPU, not the endpoint. */
  eventLoopP99Ms: number;
  /** ms after the start at which the first request reached the server and the last one was answered. */
  firstRequestMs: number;
  lastAnswerMs: number;
  /** ms after the start at which the first record was accepted (to the sampling interval). */
  firstAcceptedMs: number | null;
  /** Records of the build that ended as surplus (generated and passing, never needed), from PostgreSQL. */
  surplusRecords: number;
}

let runtimeInstalled = false;

/** The worker's own logs (state changes, late completions of cancelled batches) would drown the figures. */
function quietWorkerLogs(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
}

export async function runMeasuredBuild(opts: MeasuredBuildOptions): Promise<MeasuredBuild> {
  const log = opts.log ?? (() => {});
  quietWorkerLogs();
  const config = benchConfig(opts);
  const db = connectDatabase(opts.services.databaseUrl, { poolSize: 2 });
  if (!opts.prepare) await seedSyntheticDataset(db.sql, opts.datasetId, opts.chunks);
  // A fresh limiter per build: the process-wide registry would otherwise keep an earlier build's adaptive limit.
  clearEndpointLimiters();
  const worker = await startWorker(config, { workerOptions: { shutdownGraceTime: '2s' } });
  const connection = await Connection.connect({ address: opts.services.temporalAddress });
  const client: Client = new TemporalClient({ connection });
  try {
    await opts.prepare?.({ client, taskQueue: config.temporal.task_queue });
    await opts.llm.resetStats();
    const samples: Sample[] = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    let sampling = true;
    let firstAcceptedMs: number | null = null;
    const sampler = (async () => {
      while (sampling) {
        if (firstAcceptedMs === null) {
          const [accepted] = await db.sql`select 1 from records where dataset_id = ${opts.datasetId} and status = 'accepted' limit 1`;
          if (accepted) firstAcceptedMs = Date.now() - started;
        }
        // A failed read (the server closed an idle keep-alive socket, say) skips one sample instead of ending the
        // bench with an unhandled rejection and its services left running.
        const stats = await opts.llm.stats().catch(() => null);
        if (stats === null) {
          await new Promise((r) => setTimeout(r, opts.sampleEveryMs ?? 100));
          continue;
        }
        const memory = process.memoryUsage();
        samples.push({
          t: Date.now() - started,
          inFlight: stats.inFlight,
          queued:
            Object.values(endpointLimiterStats()).reduce((sum, l) => sum + l.queued, 0) +
            Object.values(endpointGateStats()).reduce((sum, g) => sum + g.waiting, 0),
          completed: Object.values(stats.byStatus).reduce((a, b) => a + b, 0),
          rssMb: memory.rss / 2 ** 20,
          heapMb: memory.heapUsed / 2 ** 20,
          heapCommittedMb: memory.heapTotal / 2 ** 20,
          externalMb: memory.external / 2 ** 20,
          lanceCacheMb: vectorCacheBytes() / 2 ** 20,
        });
        await new Promise((r) => setTimeout(r, opts.sampleEveryMs ?? 100));
      }
    })();
    const workflowId = buildWorkflowId(opts.datasetId);
    const handle = await client.workflow.start('buildDataset', {
      taskQueue: config.temporal.task_queue,
      workflowId,
      args: [{ datasetId: opts.datasetId, target: opts.target, ...opts.input } satisfies BuildInput],
    });
    const progress = (await handle.result()) as BuildProgress;
    const wallMs = Date.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    loopDelay.disable();
    sampling = false;
    await sampler;
    const server = await opts.llm.stats();
    // The server's own clock (same machine) says when the first request arrived and the last answer left.
    const firstRequestMs = server.firstRequestAt !== null ? Math.max(0, server.firstRequestAt - started) : 0;
    const lastAnswerMs = server.lastAnswerAt !== null ? Math.min(wallMs, server.lastAnswerAt - started) : wallMs;
    const [surplus] = await db.sql<{ n: number }[]>`select count(*)::int as n from records where dataset_id = ${opts.datasetId} and status = 'surplus'`;
    const runs = await readRuns(client, workflowId);
    log(
      `  build ${opts.datasetId}: ${progress.accepted} accepted (${progress.stopReason}) in ${(wallMs / 1000).toFixed(1)} s, ${server.requests} LLM requests, ${runs.length} run(s)`,
    );
    return {
      progress,
      wallMs,
      server,
      samples,
      runs,
      firstRequestMs,
      lastAnswerMs,
      firstAcceptedMs,
      surplusRecords: surplus.n,
      workerCpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
      eventLoopP99Ms: loopDelay.percentile(99) / 1e6,
    };
  } finally {
    await worker.shutdown();
    await connection.close();
    await db.close();
  }
}

function benchConfig(opts: MeasuredBuildOptions): DatacreekConfig {
  const dataDir = path.join(opts.services.runDir, opts.datasetId);
  mkdirSync(dataDir, { recursive: true });
  const defaults = {
    llm: {
      provider: 'openai',
      base_url: opts.llm.url,
      model: 'datacreek-test-llm',
      concurrency: opts.clientConcurrency ?? opts.slots,
      timeout_ms: 60_000,
      retries: 3,
    },
    embedding: { provider: 'openai', base_url: opts.llm.url, model: 'datacreek-test-embedding', dimensions: 384 },
    reward: { enabled: false },
    curate: { scoring: 'judge' },
    temporal: { address: opts.services.temporalAddress, task_queue: `bench-${opts.datasetId}`, start_dev_server: false },
    database: { url: opts.services.databaseUrl, pool_size: 10 },
    paths: { data_dir: dataDir },
    log_level: 'warn',
  };
  return loadConfig({ env: {}, overrides: mergeDeep(defaults, opts.config ?? {}) });
}

/** Every run of the workflow id (continue-as-new starts a new run each time), oldest first. */
async function readRuns(client: Client, workflowId: string): Promise<RunHistory[]> {
  const runIds: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runIds.push(execution.runId);
  const runs: RunHistory[] = [];
  for (const runId of runIds.reverse()) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const activities: Record<string, number> = {};
    for (const event of history.events ?? []) {
      const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
      if (type) activities[type] = (activities[type] ?? 0) + 1;
    }
    runs.push({ runId, events: history.events?.length ?? 0, activities });
  }
  return runs;
}
