// Records the replay histories of tests/replay/histories from real runs: starts its own Temporal dev server,
// PostgreSQL and test LLM server (the chaos suite's stack, with the worker as a child process), runs each scenario
// below on a dataset of its own, and exports every run of it (continue-as-new included) with
// testkit/replay/history-file.ts.
//   npm run histories:record                       every scenario, files named <workflowType>--<case>.json
//   npm run histories:record -- --prefix v1        files named <workflowType>--v1-<case>.json
//   npm run histories:record -- --only rebuild,cancel
// Commit the files it writes: the replay test replays all of them against the workflow code of every later commit.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { buildInputSchema, type BuildInput, type BuildProgress } from '../src/workflows/build-input';
import { buildWorkflowId, curateWorkflowId } from '../src/workflows/ids';
import { acceptedSoFar, ingestFacts } from '../testkit/chaos/build-run';
import { sleep, startChaosStack, waitFor, type ChaosStack } from '../testkit/chaos/harness';
import { exportRunChain } from '../testkit/replay/history-file';

/** Low, so that a build of a hundred-odd small batches continues as new, and a 20-record build does not. */
const SUGGEST_CONTINUE_AS_NEW_AT = 150;
/** Small batches of distinct facts, judged: every scenario's build takes seconds. */
const SMALL_BUILD: Omit<BuildInput, 'datasetId' | 'target'> = {
  batchSize: 2,
  itemsPerChunk: 3,
  concurrency: 2,
  scoring: { mode: 'judge', threshold: 7 },
};
/** A second build on a built dataset that has not ended in this long is reported as hanging and terminated. */
const REBUILD_TIMEOUT_MS = 120_000;

interface Scenario {
  name: string;
  /** What the run shows, for the log. */
  covers: string;
  run(ctx: ScenarioContext): Promise<void>;
}

interface ScenarioContext {
  stack: ChaosStack;
  datasetId: string;
  /** Exports every run of a workflow started at `firstRunId` as `<type>--<prefix><suffix>`. */
  record(handle: { workflowId: string; firstExecutionRunId: string }, suffix: string): Promise<void>;
  log(message: string): void;
}

function startBuild(stack: ChaosStack, input: BuildInput): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return stack.client.workflow.start('buildDataset', { taskQueue: stack.taskQueue, workflowId: buildWorkflowId(input.datasetId), args: [input] });
}

async function progressOf(handle: WorkflowHandle): Promise<BuildProgress> {
  return handle.query<BuildProgress>('progress');
}

/** Waits until the build has accepted at least `n` records (read from PostgreSQL: works across worker deaths). */
async function acceptedAtLeast(ctx: ScenarioContext, n: number): Promise<void> {
  await waitFor(`${n} accepted records in ${ctx.datasetId}`, async () => ((await acceptedSoFar(ctx.stack.db, ctx.datasetId)) >= n ? true : undefined), 300_000);
}

function describeOutcome(p: BuildProgress): string {
  return `${p.status}, ${p.stopReason}, ${p.accepted}/${p.target} accepted, ${p.continuedAsNew}× continued as new`;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'plain',
    covers: 'a build straight to its target; then curateDataset and exportDataset on the result',
    async run(ctx) {
      const handle = await startBuild(ctx.stack, { ...SMALL_BUILD, datasetId: ctx.datasetId, target: 20 });
      ctx.log(describeOutcome(await handle.result()));
      await ctx.record(handle, 'plain');
      const curate = await ctx.stack.client.workflow.start('curateDataset', {
        taskQueue: ctx.stack.taskQueue,
        workflowId: curateWorkflowId(ctx.datasetId, 'recorded'),
        args: [{ datasetId: ctx.datasetId, threshold: 7, augment: { kinds: ['paraphrase'], ratio: 0.2 } }],
      });
      ctx.log(`curate: ${JSON.stringify(await curate.result())}`);
      await ctx.record(curate, 'judge-augment');
      const exported = await ctx.stack.client.workflow.start('exportDataset', {
        taskQueue: ctx.stack.taskQueue,
        workflowId: `export-${ctx.datasetId}-recorded`,
        args: [{ datasetId: ctx.datasetId, format: 'alpaca', split: { train: 0.8, validation: 0.1, test: 0.1 } }],
      });
      ctx.log(`export: ${(await exported.result()).recordCount} records`);
      await ctx.record(exported, 'alpaca-split');
    },
  },
  {
    name: 'pause-resume',
    covers: 'pause mid-build, wait until quiet, resume, reach the target',
    async run(ctx) {
      const handle = await startBuild(ctx.stack, { ...SMALL_BUILD, datasetId: ctx.datasetId, target: 30 });
      await acceptedAtLeast(ctx, 3);
      await handle.signal('pause');
      let last = -1;
      await waitFor(
        'the paused build to go quiet',
        async () => {
          const p = await progressOf(handle);
          const quiet = p.status === 'paused' && p.batchesInFlight === 0 && p.accepted === last;
          last = p.accepted;
          return quiet ? true : undefined;
        },
        120_000,
        1000,
      );
      ctx.log(`paused at ${last} accepted`);
      await handle.signal('resume');
      ctx.log(describeOutcome(await handle.result()));
      await ctx.record(handle, 'pause-resume');
    },
  },
  {
    name: 'set-target',
    covers: 'setTarget lowering the target while batches are under way',
    async run(ctx) {
      const handle = await startBuild(ctx.stack, { ...SMALL_BUILD, datasetId: ctx.datasetId, target: 80 });
      await acceptedAtLeast(ctx, 3);
      const updated = await handle.executeUpdate<BuildProgress, [{ target: number }]>('setTarget', { args: [{ target: 25 }] });
      ctx.log(`setTarget 25 at ${updated.accepted} accepted`);
      ctx.log(describeOutcome(await handle.result()));
      await ctx.record(handle, 'set-target');
    },
  },
  {
    name: 'set-concurrency',
    covers: 'setConcurrency raising the batches in flight mid-build',
    async run(ctx) {
      const handle = await startBuild(ctx.stack, { ...SMALL_BUILD, concurrency: 1, datasetId: ctx.datasetId, target: 30 });
      await acceptedAtLeast(ctx, 3);
      await handle.executeUpdate('setConcurrency', { args: [{ concurrency: 4 }] });
      ctx.log(describeOutcome(await handle.result()));
      await ctx.record(handle, 'set-concurrency');
    },
  },
  {
    name: 'continue-as-new',
    covers: `a build of many one-chunk batches that continues as new (suggested at ${SUGGEST_CONTINUE_AS_NEW_AT} events)`,
    async run(ctx) {
      const handle = await startBuild(ctx.stack, {
        datasetId: ctx.datasetId,
        target: 120,
        batchSize: 1,
        itemsPerChunk: 2,
        concurrency: 2,
        scoring: { mode: 'none' },
      });
      const progress: BuildProgress = await handle.result();
      ctx.log(describeOutcome(progress));
      if (progress.continuedAsNew < 1) throw new Error('the build never continued as new: lower SUGGEST_CONTINUE_AS_NEW_AT or raise the target');
      await ctx.record(handle, 'continue-as-new');
    },
  },
  {
    name: 'cancel',
    covers: 'a cancel while batches generate and are accepted',
    async run(ctx) {
      const handle = await startBuild(ctx.stack, { ...SMALL_BUILD, datasetId: ctx.datasetId, target: 300 });
      await acceptedAtLeast(ctx, 5);
      await handle.cancel();
      const outcome = await handle.result().then(
        (p: BuildProgress) => `completed before the cancel landed: ${describeOutcome(p)}`,
        (err) => (err instanceof WorkflowFailedError ? `ended by the cancel: ${err.cause?.message ?? err.message}` : Promise.reject(err)),
      );
      ctx.log(outcome);
      await ctx.record(handle, 'cancel');
    },
  },
  {
    name: 'killed-worker',
    covers: 'SIGKILL of the worker mid-build, restarted: activities time out and are retried',
    async run(ctx) {
      const handle = await startBuild(ctx.stack, { ...SMALL_BUILD, datasetId: ctx.datasetId, target: 40 });
      await acceptedAtLeast(ctx, 6);
      await ctx.stack.worker.kill();
      ctx.log(`worker killed at ${await acceptedSoFar(ctx.stack.db, ctx.datasetId)} accepted`);
      await ctx.stack.worker.start();
      ctx.log(describeOutcome(await handle.result()));
      await ctx.record(handle, 'killed-worker');
    },
  },
  {
    name: 'rebuild',
    covers: 'build 20, then build the same dataset again to 30; then a fresh build to 15 where the build input knows `fresh`',
    async run(ctx) {
      const first = await startBuild(ctx.stack, { ...SMALL_BUILD, datasetId: ctx.datasetId, target: 20 });
      ctx.log(`first build: ${describeOutcome(await first.result())}`);
      await ctx.record(first, 'rebuild-first');
      const second = await startBuild(ctx.stack, { ...SMALL_BUILD, datasetId: ctx.datasetId, target: 30 });
      const outcome = await Promise.race([second.result().then((p: BuildProgress) => p), sleep(REBUILD_TIMEOUT_MS).then(() => undefined)]);
      if (!outcome) {
        await second.terminate('the rebuild hung; not recorded');
        throw new Error(`the second build of ${ctx.datasetId} did not end within ${REBUILD_TIMEOUT_MS} ms (terminated, not recorded)`);
      }
      ctx.log(`second build: ${describeOutcome(outcome)}`);
      await ctx.record(second, 'rebuild');
      if (!('fresh' in buildInputSchema.shape)) {
        ctx.log('the build input has no `fresh` yet: no fresh build recorded');
        return;
      }
      const fresh = await startBuild(ctx.stack, { ...SMALL_BUILD, datasetId: ctx.datasetId, target: 15, fresh: true } as BuildInput);
      ctx.log(`fresh build: ${describeOutcome(await fresh.result())}`);
      await ctx.record(fresh, 'fresh-build');
    },
  },
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { prefix: { type: 'string' }, only: { type: 'string' }, dir: { type: 'string' } } });
  const prefix = values.prefix ? `${values.prefix}-` : '';
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
  if (unknown.length) throw new Error(`--only: no scenario ${unknown.join(', ')}; the scenarios are ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const chosen = SCENARIOS.filter((s) => !only || only.includes(s.name));
  const dir = values.dir ? path.resolve(values.dir) : undefined;

  const started = Date.now();
  // 50 ms per LLM call keeps batches in flight long enough for a pause, an update, a cancel or a kill to land.
  const stack = await startChaosStack({
    name: 'record-histories',
    llm: { latencyMs: 50 },
    temporalDynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AT },
  });
  const written: string[] = [];
  const failed: string[] = [];
  try {
    let ingestRecorded = false;
    for (const scenario of chosen) {
      const datasetId = `rec-${scenario.name}`;
      const log = (message: string) => console.log(`[${scenario.name}] ${message}`);
      const ctx: ScenarioContext = {
        stack,
        datasetId,
        log,
        async record(handle, suffix) {
          const files = await exportRunChain(stack.client, {
            workflowId: handle.workflowId,
            firstRunId: handle.firstExecutionRunId,
            name: `${prefix}${suffix}`,
            dir,
            middleRuns: false,
          });
          for (const file of files) log(`wrote ${path.relative(process.cwd(), file)}`);
          written.push(...files);
        },
      };
      const t0 = Date.now();
      log(scenario.covers);
      try {
        const chunks = await ingestFacts(stack, datasetId);
        if (!ingestRecorded) {
          const ingest = stack.client.workflow.getHandle(`ingest-${datasetId}`);
          const { runId } = await ingest.describe();
          await ctx.record({ workflowId: ingest.workflowId, firstExecutionRunId: runId }, 'markdown-facts');
          ingestRecorded = true;
        }
        log(`ingested ${chunks} chunks`);
        await scenario.run(ctx);
        log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } catch (err) {
        failed.push(scenario.name);
        log(`FAILED: ${err instanceof Error ? (process.env.RECORD_DEBUG ? err.stack : err.message) : String(err)}`);
        if (!stack.worker.running) await stack.worker.start();
      }
    }
  } finally {
    await stack.close();
  }
  console.log(`${written.length} histories written in ${((Date.now() - started) / 1000).toFixed(0)} s${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`);
  if (failed.length) process.exit(1);
}

main().catch((err) => {
  console.error(`record-histories: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
