// Benchmark 7: one endpoint budget across worker processes. Three real worker processes (one serving every kind of
// work, two serving only `llm`) build from one dataset against the test LLM server, each process allowed
// `limit` requests in flight. With llm.concurrency_scope `cluster` (leases in PostgreSQL) the endpoint should never
// see more than `limit` at once; with `process` (each worker bounds only itself) it may see up to 3 × limit. The
// server's own count of requests open at once is the figure. Uses the chaos suite's stack (servers on free ports,
// workers as child processes configured only through their environment).
import path from 'node:path';
import { buildResult, ingestFacts, startBuild } from '../testkit/chaos/build-run';
import { startChaosStack } from '../testkit/chaos/harness';
import { WorkerProcess } from '../testkit/chaos/worker-process';
import { consoleLog, figure, type Log } from './support/report';

export interface SharedBudgetBenchOptions {
  /** llm.concurrency of every worker process. */
  limit?: number;
  target?: number;
  latencyMs?: number;
  log?: Log;
}

const SERVES = ['all', 'llm', 'llm'] as const;

export async function runSharedBudgetBench(opts: SharedBudgetBenchOptions = {}): Promise<void> {
  const { limit = 4, target = 90, latencyMs = 40, log = consoleLog } = opts;
  log(`7. One endpoint budget across ${SERVES.length} worker processes (serving ${SERVES.join(', ')}), llm.concurrency ${limit} each, L = ${latencyMs} ms`);
  const stack = await startChaosStack({ name: 'bench-shared-budget', llm: { latencyMs, concurrency: 0 } });
  try {
    // The stack's own worker is replaced by workers configured for each scope.
    await stack.worker.stop();
    for (const scope of ['cluster', 'process'] as const) {
      const workers = SERVES.map(
        (serve, n) =>
          new WorkerProcess({
            env: {
              ...stack.workerEnv,
              DATACREEK_LLM_CONCURRENCY: String(limit),
              DATACREEK_LLM_CONCURRENCY_SCOPE: scope,
              DATACREEK_WORKER_SERVE: serve,
            },
            logFile: path.join(stack.dir, `worker-${scope}-${n}.log`),
          }),
      );
      try {
        for (const worker of workers) await worker.start();
        const datasetId = `budget-${scope}`;
        await ingestFacts(stack, datasetId);
        stack.llm.resetStats();
        const started = Date.now();
        const handle = await startBuild(stack, { datasetId, target, batchSize: 3, itemsPerChunk: 3, concurrency: 6, scoring: { mode: 'judge', threshold: 7 } });
        const progress = await buildResult(handle);
        const seconds = (Date.now() - started) / 1000;
        const stats = stack.llm.stats();
        const slotBusy = stats.slotBusyMs / (seconds * 1000 * limit);
        log(`  scope ${scope}: ${progress.accepted}/${target} accepted, ${stats.requests} requests in ${seconds.toFixed(1)} s`);
        log(figure(`peak in-flight (${scope})`, stats.peakOpen, `of limit ${limit}`, scope === 'cluster' ? { atMost: limit, of: 'requests' } : undefined));
        log(figure(`endpoint busy ÷ limit (${scope})`, slotBusy, ''));
      } finally {
        for (const worker of workers) await worker.stop().catch(() => {});
      }
    }
  } finally {
    await stack.close();
  }
}
