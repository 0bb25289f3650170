// Random, seeded sequences of everything a person can do to a dataset (build, build again to a larger target, a
// fresh build, set-target, pause and resume, cancel, curate, augment, export, delete, SIGKILL of the worker),
// against the real stack, with an audit of the dataset's invariants after every step. A step the one-writer rule
// refuses must be refused with DatasetBusy. Replay a run with SEQ_SEED=<seed>; SEQ_STEPS sets its length.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/infra/config/load';
import { describeWorkflowFailure } from '../../src/client';
import type { BuildProgress } from '../../src/workflows/build-input';
import type { CurateResult, ExportResult } from '../../src/workflows/curate-input';
import { buildWorkflowId } from '../../src/workflows/ids';
import type { IngestResult } from '../../src/workflows/ingest-input';
import { cliEnv as cliEnvironment, runCli, type CliResult } from '../integration/cli/run-cli';
import { seededRandom } from '../../src/infra/common/seeded-random';
import { sleep, startChaosStack, waitFor, type ChaosStack } from '../../testkit/chaos/harness';

const SEED = Number(process.env.SEQ_SEED ?? 1205);
const STEPS = Number(process.env.SEQ_STEPS ?? 100);
const DATASETS = ['seq-a', 'seq-b'];
const MAX_TARGET = 30;
const CLI_EVERY = Number(process.env.SEQ_CLI_EVERY ?? 4);
const LOG_FILE = path.join(PROJECT_ROOT, '.data', 'sequence', `seed-${SEED}.log`);

let stack: ChaosStack;

beforeAll(async () => {
  // A fast model keeps a 100-step run within minutes on 2 cores.
  stack = await startChaosStack({ name: 'sequence', llm: { latencyMs: 5 } });
});

afterAll(async () => {
  await stack?.close();
});

/** What the test knows of a dataset between steps. */
interface DatasetModel {
  id: string;
  /** The build left running in the background, if any. */
  /**
   * The build left running in the background, if any, with what the dataset held when it started (a build whose
   * target is below that is refused and changes nothing).
   */
  /**
   * The build running now. `acceptedAtStart` is what the dataset held when it started; a fresh build sets those
   * records aside only once it is prepared, so until then they still count, and bound what may be accepted.
   */
  build?: { handle: WorkflowHandleWithFirstExecutionRunId; target: number; acceptedAtStart: number; fresh: boolean };
  /**
   * What an augmentation left the dataset holding, until the next build: augmentation adds variants on purpose,
   * beyond the target a build aimed at. Otherwise the dataset's target (or the running build's) bounds it.
   */
  augmentedTo: number | null;
}

type Outcome = string;

describe('random sequences of dataset operations', () => {
  it(`keeps every dataset exact over ${STEPS} steps (seed ${SEED})`, async () => {
    mkdirSync(path.dirname(LOG_FILE), { recursive: true });
    writeFileSync(LOG_FILE, '');
    const log = (line: string) => {
      const text = `[sequence seed=${SEED}] ${line}`;
      console.log(text);
      appendFileSync(LOG_FILE, `${text}\n`);
    };
    log(`seed ${SEED}, ${STEPS} steps, datasets ${DATASETS.join(', ')}; replay with SEQ_SEED=${SEED} SEQ_STEPS=${STEPS}`);
    // Each step draws from its own generator, seeded by the run's seed and the step number: the operation, dataset
    // and parameters of step n are the same in every run of a seed, however the steps before it played out.
    let random = seededRandom(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const { sql } = stack.db;
    const cliEnv = cliEnvironment(stack.workerConfig);
    const models = new Map<string, DatasetModel>(DATASETS.map((id) => [id, { id, augmentedTo: null }]));
    const tally: Record<string, number> = {};
    const violations: string[] = [];
    let ingests = 0;
    const staleLeases = new Set<string>();

    const accepted = async (id: string) =>
      (await sql<{ n: number }[]>`select count(*)::int as n from records where dataset_id = ${id} and status = 'accepted'`)[0].n;

    async function ingest(model: DatasetModel): Promise<IngestResult> {
      const dir = path.join(stack.dir, 'docs', model.id);
      mkdirSync(dir, { recursive: true });
      for (const [i, topic] of ['tides', 'lichens'].entries()) {
        writeFileSync(path.join(dir, `${topic}.md`), smallDocument(`${model.id} ${topic}`, i));
      }
      const handle = await stack.client.workflow.start('ingestWorkflow', {
        taskQueue: stack.taskQueue,
        workflowId: `ingest-${model.id}-${++ingests}`,
        args: [{ datasetId: model.id, items: [{ path: dir }], chunking: { chunk_size: 400, overlap: 0, whole_document_below: 200 } }],
      });
      const result: IngestResult = await handle.result();
      await keepHistory('ingestWorkflow', 'writer-lease', handle);
      return result;
    }

    /**
     * SEQ_WRITE_HISTORIES=1: the first history of each new workflow path is written to tests/replay/histories, so
     * the replay test keeps old histories replaying as the workflow code changes.
     */
    const kept = new Set<string>();
    async function keepHistory(workflowType: string, scenario: string, handle: WorkflowHandle): Promise<void> {
      const name = `${workflowType}--${scenario}`;
      if (!process.env.SEQ_WRITE_HISTORIES || kept.has(name)) return;
      kept.add(name);
      const dir = path.join(PROJECT_ROOT, 'tests', 'replay', 'histories');
      mkdirSync(dir, { recursive: true });
      // The Temporal CLI writes the history as proto3 JSON, the form historyFromJSON (and the replay test) reads.
      const shown = execFileSync(
        path.join(PROJECT_ROOT, '.tools', 'bin', 'temporal'),
        ['workflow', 'show', '--address', stack.temporalAddress, '-w', handle.workflowId, '-o', 'json'],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      const history = JSON.parse(shown);
      writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify({ workflowId: handle.workflowId, history }, null, 2)}\n`);
      log(`history of ${handle.workflowId} written to tests/replay/histories/${name}.json`);
    }

    /** The failure type a workflow ended with (DatasetBusy, …), or undefined when it did not fail. */
    const failureOf = async (run: Promise<unknown>): Promise<{ ok: true; value: unknown } | { ok: false; code: string; message: string }> => {
      try {
        return { ok: true, value: await run };
      } catch (err) {
        const f = describeWorkflowFailure(err);
        return { ok: false, code: err instanceof WorkflowFailedError ? f.code : (err as Error).name, message: f.message };
      }
    };

    /** Waits until the dataset's writer lease is held by `taskId`, or the workflow has closed. */
    async function untilHolding(id: string, handle: WorkflowHandle): Promise<void> {
      await waitFor(
        `${handle.workflowId} to take the writer lease of ${id}`,
        async () => {
          const [row] = await sql<{ writer_task_id: string | null }[]>`select writer_task_id from datasets where id = ${id}`;
          if (row?.writer_task_id === handle.workflowId) return true;
          const status = (await handle.describe()).status.name;
          return status !== 'RUNNING' ? true : undefined;
        },
        120_000,
        50,
      );
    }

    async function startBuild(model: DatasetModel, target: number, fresh: boolean): Promise<WorkflowHandleWithFirstExecutionRunId> {
      const input = {
        datasetId: model.id,
        target,
        batchSize: 2,
        itemsPerChunk: 2,
        concurrency: 3,
        maxRounds: 40,
        scoring: { mode: 'judge' as const, threshold: 6 },
        ...(fresh ? { fresh: true } : {}),
      };
      return stack.client.workflow.start('buildDataset', { taskQueue: stack.taskQueue, workflowId: buildWorkflowId(model.id), args: [input] });
    }

    /** Whether the build left running is still open (its own run chain, not a later build under the same id). */
    async function buildRuns(model: DatasetModel): Promise<boolean> {
      if (!model.build) return false;
      const { workflowId, firstExecutionRunId } = model.build.handle as WorkflowHandle & { firstExecutionRunId: string };
      const first = await stack.client.workflow.getHandle(workflowId, firstExecutionRunId).describe();
      if (first.status.name !== 'CONTINUED_AS_NEW') return first.status.name === 'RUNNING';
      // Continued as new: the chain runs while its latest run (same first run id) does.
      const latest = await stack.client.workflow.getHandle(workflowId).describe();
      return latest.raw.workflowExecutionInfo?.firstRunId === firstExecutionRunId && latest.status.name === 'RUNNING';
    }

    /** A build that ended on its own since the last step is collected (and checked) before the next one. */
    async function settleIfEnded(model: DatasetModel, step: number, check = true): Promise<string | undefined> {
      if (model.build && !(await buildRuns(model))) return finishBuild(model, step, check);
      return undefined;
    }

    /** Waits for a build's end and checks its result against PostgreSQL. */
    async function finishBuild(model: DatasetModel, step: number, check = true): Promise<Outcome> {
      const build = model.build!;
      const end = await failureOf(build.handle.result());
      model.build = undefined;
      if (!end.ok) return `build ended with ${end.code}: ${end.message}`;
      const progress = end.value as BuildProgress;
      // A build found ended only after another step changed the dataset can no longer be compared with it.
      if (!check) return `build ${progress.status} (${progress.stopReason}): ${progress.accepted}/${progress.target} accepted`;
      const inDb = await accepted(model.id);
      if (progress.accepted !== inDb)
        violations.push(`step ${step}: ${model.id}: the build's result says ${progress.accepted} accepted, PostgreSQL holds ${inDb}`);
      if (progress.stopReason === 'target_reached' && inDb !== progress.target) {
        violations.push(`step ${step}: ${model.id}: the build completed at its target ${progress.target} with ${inDb} accepted`);
      }
      await compareWithCli(model, step, progress.accepted);
      return `build ${progress.status} (${progress.stopReason}): ${progress.accepted}/${progress.target} accepted`;
    }

    /**
     * counts in PostgreSQL = the workflow's result = `datacreek datasets show --json` (the real CLI). A CLI start
     * costs seconds on a busy 2-core machine, so it runs after a build or curation at most every CLI_EVERY steps,
     * and for every dataset at the end; the other checks run after every step.
     */
    let lastCliStep = -Infinity;
    let cliRuns = 0;
    async function compareWithCli(model: DatasetModel, step: number, expected: number, always = false): Promise<void> {
      if (!always && step - lastCliStep < CLI_EVERY) return;
      lastCliStep = step;
      cliRuns++;
      const shown: CliResult = await runCli(['--json', 'datasets', 'show', model.id], cliEnv);
      if (shown.code !== 0) {
        violations.push(`step ${step}: ${model.id}: datasets show exited ${shown.code}: ${shown.stderr.slice(0, 300)}`);
        return;
      }
      const details = JSON.parse(shown.stdout) as { records: { accepted: number } };
      if (details.records.accepted !== expected) {
        violations.push(`step ${step}: ${model.id}: datasets show says ${details.records.accepted} accepted, expected ${expected}`);
      }
    }

    /**
     * A writer started while a build ran must have been refused with DatasetBusy, unless the build had ended by
     * the time it asked (then it is collected, and the step counts as an ordinary one: returns false).
     */
    const refusedForBusy = async (model: DatasetModel, step: number, what: string, outcome: { ok: boolean; code?: string }): Promise<boolean> => {
      if (!outcome.ok && outcome.code === 'DatasetBusy') return true;
      const holder = model.build!.handle.workflowId;
      const ended = await settleIfEnded(model, step, false);
      if (ended === undefined) {
        violations.push(`step ${step}: ${what} while ${holder} writes the dataset was not refused with DatasetBusy (${outcome.ok ? 'it ran' : outcome.code})`);
        return true;
      }
      return false;
    };

    /**
     * Live controls need a running build: when the dataset has none, one is started in the background first (a
     * few records past what it holds; small builds end fast, so a control may also meet a build at its end).
     */
    async function runningBuild(model: DatasetModel, step: number): Promise<string> {
      if (model.build) return '';
      const target = (await accepted(model.id)) + between(4, 12);
      const started = await build(model, step, target, false, false);
      return `${started}; `;
    }

    type Op = (model: DatasetModel, step: number) => Promise<Outcome>;
    const ops: Record<string, { weight: number; run: Op }> = {
      build: {
        weight: 14,
        async run(model, step) {
          const now = await accepted(model.id);
          const target = Math.min(MAX_TARGET, Math.max(5, now + between(0, 8)));
          return build(model, step, target, false);
        },
      },
      'build-larger': {
        weight: 8,
        async run(model, step) {
          const now = await accepted(model.id);
          return build(model, step, Math.min(MAX_TARGET + 10, now + between(3, 10)), false);
        },
      },
      'fresh-build': {
        weight: 5,
        run: (model, step) => build(model, step, between(5, 15), true),
      },
      'set-target': {
        weight: 8,
        async run(model, step) {
          const prefix = await runningBuild(model, step);
          if (!model.build) return `${prefix}no build running`;
          const now = await accepted(model.id);
          const target = Math.max(1, now + between(-2, 8));
          try {
            await stack.client.workflow.getHandle(model.build.handle.workflowId).executeUpdate('setTarget', { args: [{ target }] });
            model.build.target = target;
            return `${prefix}set-target ${target} accepted (${now} accepted before)`;
          } catch (err) {
            if (err instanceof WorkflowUpdateFailedError) return `${prefix}set-target ${target} refused: ${err.cause?.message ?? err.message}`;
            // The build may have ended between the read and the update.
            return `${prefix}set-target ${target}: ${(err as Error).name}: ${(err as Error).message}`;
          }
        },
      },
      'pause-resume': {
        weight: 6,
        async run(model, step) {
          const prefix = await runningBuild(model, step);
          if (!model.build) return `${prefix}no build running`;
          const handle = model.build.handle;
          await handle.signal('pause').catch(() => {});
          await sleep(between(200, 1500));
          violations.push(...(await audit(model, step, { settled: false, what: 'while paused' })));
          await handle.signal('resume').catch(() => {});
          return `${prefix}paused, audited, resumed`;
        },
      },
      cancel: {
        weight: 6,
        async run(model, step) {
          const prefix = await runningBuild(model, step);
          if (!model.build) return `${prefix}no build running`;
          await sleep(between(0, 800));
          await model.build.handle.cancel().catch(() => {});
          return `${prefix}cancel: ${await finishBuild(model, step)}`;
        },
      },
      curate: {
        weight: 8,
        run: (model, step) => curate(model, step, { threshold: between(4, 8), scoring: 'judge', dedup: true, report: false }),
      },
      augment: {
        weight: 5,
        run: (model, step) =>
          curate(model, step, { scoring: 'none', dedup: false, report: false, augment: { kinds: ['paraphrase'], ratio: pick([0.2, 0.5]) } }),
      },
      'cancel-curate': {
        weight: 3,
        async run(model, step) {
          if (model.build) return 'a build runs';
          const curation = await stack.client.workflow.start('curateDataset', {
            taskQueue: stack.taskQueue,
            workflowId: `curate-${model.id}-${step}`,
            args: [{ datasetId: model.id, scoring: 'judge', threshold: 8, dedup: true, report: false, batchSize: 2 }],
          });
          await untilHolding(model.id, curation);
          await sleep(between(0, 400));
          await curation.cancel().catch(() => {});
          const end = await failureOf(curation.result());
          if (!end.ok && /cancel/i.test(`${end.code} ${end.message}`)) await keepHistory('curateDataset', 'cancelled', curation);
          return `curation cancelled: ${end.ok ? 'it had finished' : end.code}`;
        },
      },
      'build-during-curate': {
        weight: 3,
        async run(model, step) {
          if (model.build) return 'a build runs already';
          const curation = await stack.client.workflow.start('curateDataset', {
            taskQueue: stack.taskQueue,
            workflowId: `curate-${model.id}-${step}`,
            args: [{ datasetId: model.id, scoring: 'judge', threshold: 5, dedup: true, report: false }],
          });
          await untilHolding(model.id, curation);
          const holds = (await curation.describe()).status.name === 'RUNNING';
          const handle = await startBuild(model, MAX_TARGET, false);
          const refused = await failureOf(handle.result());
          const curated = await failureOf(curation.result());
          if (holds && (refused.ok || refused.code !== 'DatasetBusy')) {
            violations.push(
              `step ${step}: a build while ${curation.workflowId} writes the dataset was not refused with DatasetBusy (${refused.ok ? 'it ran' : refused.code})`,
            );
          }
          if (!refused.ok && refused.code === 'DatasetBusy') {
            const [row] = await sql<{ status: string }[]>`select status from datasets where id = ${model.id}`;
            if (row?.status === 'failed' || row?.status === 'building') violations.push(`step ${step}: the refused build left the dataset ${row.status}`);
          }
          if (!curated.ok && curated.code !== 'InvalidInput') violations.push(`step ${step}: the curation failed: ${curated.code} ${curated.message}`);
          return `curation ${curated.ok ? 'done' : curated.code}; build ${refused.ok ? 'ran' : refused.code}`;
        },
      },
      export: {
        weight: 8,
        async run(model, step) {
          const before = await accepted(model.id);
          const run = await failureOf(
            stack.client.workflow.execute('exportDataset', {
              taskQueue: stack.taskQueue,
              workflowId: `export-${model.id}-${step}`,
              args: [{ datasetId: model.id, format: 'jsonl' }],
            }),
          );
          const after = await accepted(model.id);
          if (!run.ok) {
            // Nothing to export is right when the set was empty at some moment between the two counts: it was
            // empty before or after, or a fresh build running meanwhile set the old records aside before accepting
            // new ones (its first step can land between the count before and the export's snapshot).
            const couldBeEmpty = before === 0 || after === 0 || model.build?.fresh === true;
            if (run.code === 'InvalidInput' && /no accepted records/.test(run.message) && couldBeEmpty) {
              return `nothing to export${before > 0 ? ' (a fresh build had set the records aside)' : ''}`;
            }
            violations.push(`step ${step}: the export failed: ${run.code} ${run.message}`);
            return `export failed: ${run.code}`;
          }
          const result = run.value as ExportResult;
          const lines = result.files.reduce(
            (n, f) =>
              n +
              readFileSync(f.path, 'utf8')
                .split('\n')
                .filter((l) => l.trim()).length,
            0,
          );
          if (lines !== result.recordCount) violations.push(`step ${step}: the export says ${result.recordCount} records, its files hold ${lines}`);
          const low = Math.min(before, after);
          const high = Math.max(before, after);
          if (model.build ? result.recordCount < 0 || result.recordCount > high : result.recordCount !== after || low !== high) {
            violations.push(`step ${step}: the export holds ${result.recordCount} records; PostgreSQL held ${before} before and ${after} after`);
          }
          return `exported ${result.recordCount} records${model.build ? ' (a snapshot of a running build)' : ''}`;
        },
      },
      delete: {
        weight: 4,
        async run(model, step) {
          await settleIfEnded(model, step);
          const removed = await runCli(['--json', 'datasets', 'rm', model.id], cliEnv);
          if (
            model.build &&
            (await refusedForBusy(model, step, 'datasets rm', { ok: removed.code === 0, code: removed.code === 5 ? 'DatasetBusy' : `exit ${removed.code}` }))
          ) {
            return `datasets rm refused (exit ${removed.code})`;
          }
          if (removed.code !== 0) {
            violations.push(`step ${step}: datasets rm exited ${removed.code}: ${removed.stderr.slice(0, 300)}`);
            return `datasets rm failed (exit ${removed.code})`;
          }
          model.augmentedTo = null;
          const again = await ingest(model);
          if (again.totals.failed > 0 || again.totals.chunks === 0) {
            const errors = again.files.map((f) => `${f.item}: ${f.status}${f.error ? ` ${f.error.code} ${f.error.message}` : ''}`);
            violations.push(`step ${step}: ingesting ${model.id} again after its deletion failed: ${errors.join('; ')}`);
          }
          return `deleted, ingested again (${again.totals.chunks} chunks)`;
        },
      },
      ingest: {
        weight: 4,
        async run(model, step) {
          const run = await failureOf(ingest(model));
          if (model.build && (await refusedForBusy(model, step, 'an ingest', run))) return `refused: ${run.ok ? 'ran' : run.code}`;
          if (!run.ok) violations.push(`step ${step}: the ingest failed: ${run.code} ${run.message}`);
          return run.ok ? `ingest: ${(run.value as IngestResult).totals.unchanged} unchanged` : `ingest failed: ${run.code}`;
        },
      },
      'kill-worker': {
        weight: 3,
        async run() {
          const pid = stack.worker.pid;
          await stack.worker.kill();
          await stack.worker.start();
          return `SIGKILLed worker ${pid}, restarted it`;
        },
      },
      'wait-build': {
        weight: 8,
        async run(model, step) {
          if (!model.build) return 'no build running';
          return finishBuild(model, step);
        },
      },
    };

    async function build(model: DatasetModel, step: number, target: number, fresh: boolean, mayWait = true): Promise<Outcome> {
      let handle: WorkflowHandleWithFirstExecutionRunId;
      const acceptedAtStart = await accepted(model.id);
      try {
        handle = await startBuild(model, target, fresh);
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError && model.build) return 'refused: a build of this dataset runs already';
        throw err;
      }
      if (model.build) {
        // Temporal starts a build under the same workflow id only once the earlier one has closed: collect it.
        if (await buildRuns(model)) violations.push(`step ${step}: a second build of ${model.id} started while one runs`);
        await finishBuild(model, step, false);
      }
      model.build = { handle, target, acceptedAtStart, fresh };
      await untilHolding(model.id, handle);
      model.augmentedTo = null;
      const wait = mayWait && random() < 0.6;
      const label = `${fresh ? 'fresh ' : ''}build to ${target}`;
      if (!wait) return `${label} started, left running`;
      return `${label}: ${await finishBuild(model, step)}`;
    }

    async function curate(model: DatasetModel, step: number, input: Record<string, unknown>): Promise<Outcome> {
      const before = await accepted(model.id);
      const run = await failureOf(
        stack.client.workflow.execute('curateDataset', {
          taskQueue: stack.taskQueue,
          workflowId: `curate-${model.id}-${step}`,
          args: [{ datasetId: model.id, ...input }],
        }),
      );
      if (model.build && (await refusedForBusy(model, step, 'a curation', run))) return `refused: ${run.ok ? 'ran' : run.code}`;
      if (!run.ok) {
        if (run.code === 'InvalidInput' && before === 0) return 'nothing to curate';
        violations.push(`step ${step}: the curation failed: ${run.code} ${run.message}`);
        return `curation failed: ${run.code}`;
      }
      const result = run.value as CurateResult;
      const after = await accepted(model.id);
      if (after !== result.kept + result.augmented) {
        violations.push(`step ${step}: the curation says ${result.kept} kept + ${result.augmented} augmented, PostgreSQL holds ${after}`);
      }
      if (result.augmented > 0) model.augmentedTo = after;
      await compareWithCli(model, step, after);
      return `curated: ${result.total} → ${result.kept} kept, ${result.augmented} augmented`;
    }

    /**
     * The invariants of a dataset, read from PostgreSQL. `settled`: nothing runs on it, so no candidate may be
     * left, the dataset row's count must be exact and nobody may hold its writer lease.
     */
    /** Whether a fresh build has opened its epoch (and so set the dataset's earlier records aside). */
    async function freshBuildPrepared(datasetId: string, handle: WorkflowHandleWithFirstExecutionRunId): Promise<boolean> {
      const [row] = await sql`select 1 from builds where dataset_id = ${datasetId} and run_key = ${handle.firstExecutionRunId}`;
      return row !== undefined;
    }

    async function audit(model: DatasetModel, step: number, opts: { settled: boolean; what?: string }): Promise<string[]> {
      // One snapshot for every query: a build may be accepting while a step audits, and counts read at two moments
      // would disagree with each other without anything being wrong.
      return sql.begin('isolation level repeatable read read only', async (sql) => {
        const out: string[] = [];
        const at = `step ${step}: ${model.id}${opts.what ? ` (${opts.what})` : ''}`;
        const [dataset] = await sql<{ accepted_count: number; target: number | null; status: string; writer_task_id: string | null }[]>`
          select accepted_count, target, status, writer_task_id from datasets where id = ${model.id}`;
        if (!dataset) return out;
        const byStatus = await sql<{ status: string; n: number; no_reason: number }[]>`
          select status, count(*)::int as n, count(*) filter (where reject_reason is null)::int as no_reason
          from records where dataset_id = ${model.id} group by status`;
        const count = (s: string) => byStatus.find((r) => r.status === s)?.n ?? 0;
        const acceptedNow = count('accepted');
        const bound = model.build
          ? model.build.fresh && (await freshBuildPrepared(model.id, model.build.handle))
            ? model.build.target
            : Math.max(model.build.target, model.build.acceptedAtStart)
          : Math.max(dataset.target ?? Infinity, model.augmentedTo ?? 0);
        if (acceptedNow > bound) out.push(`${at}: ${acceptedNow} accepted, more than the target ${bound}`);
        const [seq] = await sql<{ min: number | null; max: number | null; distinct_seq: number; with_seq: number }[]>`
          select min(accept_seq)::int as min, max(accept_seq)::int as max, count(distinct accept_seq)::int as distinct_seq, count(accept_seq)::int as with_seq
          from records where dataset_id = ${model.id} and status = 'accepted'`;
        if (acceptedNow > 0 && (seq.min !== 1 || seq.max !== acceptedNow || seq.distinct_seq !== acceptedNow || seq.with_seq !== acceptedNow)) {
          out.push(`${at}: accept_seq is not 1..${acceptedNow} (min ${seq.min}, max ${seq.max}, ${seq.distinct_seq} distinct, ${seq.with_seq} set)`);
        }
        const [{ stray }] = await sql<{ stray: number }[]>`
          select count(*)::int as stray from records where dataset_id = ${model.id} and status <> 'accepted' and accept_seq is not null`;
        if (stray > 0) out.push(`${at}: ${stray} records that are not accepted hold an accept_seq`);
        const [dups] = await sql<{ by_hash: number; by_content: number }[]>`
          select
            (select coalesce(sum(n - 1), 0) from (select count(*) as n from records where dataset_id = ${model.id} and status = 'accepted'
               group by content_hash having count(*) > 1) h)::int as by_hash,
            (select coalesce(sum(n - 1), 0) from (select count(*) as n from records where dataset_id = ${model.id} and status = 'accepted'
               group by content::text having count(*) > 1) c)::int as by_content`;
        if (dups.by_hash + dups.by_content > 0)
          out.push(`${at}: duplicates among accepted records: ${dups.by_hash} by content hash, ${dups.by_content} by content`);
        const noReason = byStatus.filter((r) => r.status === 'rejected' || r.status === 'surplus').reduce((n, r) => n + r.no_reason, 0);
        if (noReason > 0) out.push(`${at}: ${noReason} rejected or surplus records have no reason`);
        if (opts.settled) {
          if (count('candidate') > 0) out.push(`${at}: ${count('candidate')} candidates left with nothing running`);
          if (dataset.accepted_count !== acceptedNow) out.push(`${at}: datasets.accepted_count is ${dataset.accepted_count}, PostgreSQL holds ${acceptedNow}`);
          // A lease left by a workflow that has closed is stale and harmless (the next writer takes it over); a live
          // one here would block the dataset for good.
          const holder = dataset.writer_task_id;
          if (holder) {
            const status = (await stack.client.workflow.getHandle(holder).describe()).status.name;
            if (status === 'RUNNING') out.push(`${at}: ${holder} holds the writer lease and still runs, with nothing running`);
            else staleLeases.add(`${holder} (${status})`);
          }
          if (dataset.status === 'building') out.push(`${at}: the dataset says it is building with no build running`);
        }
        return out;
      });
    }

    // Every dataset starts from its documents.
    for (const model of models.values()) {
      const first = await ingest(model);
      log(`${model.id}: ingested ${first.totals.chunks} chunks`);
    }

    const started = Date.now();
    const names = Object.keys(ops);
    const weights = names.map((n) => ops[n].weight);
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    for (let step = 1; step <= STEPS; step++) {
      random = seededRandom(SEED * 100_003 + step);
      let r = random() * totalWeight;
      const name = names.find((_, i) => (r -= weights[i]) < 0) ?? names[0];
      const model = models.get(pick(DATASETS))!;
      const stepStart = Date.now();
      const before = violations.length;
      let outcome: Outcome;
      for (const m of models.values()) {
        const ended = await settleIfEnded(m, step);
        if (ended) log(`step ${step}: ${m.id}: the build left running ended: ${ended}`);
      }
      try {
        outcome = await ops[name].run(model, step);
      } catch (err) {
        outcome = `threw ${(err as Error).name}: ${(err as Error).message}`;
        violations.push(`step ${step}: ${name} on ${model.id} threw ${(err as Error).stack ?? err}`);
      }
      for (const m of models.values()) violations.push(...(await audit(m, step, { settled: !m.build })));
      const kind = `${name}: ${outcome.replace(/[0-9]+/g, 'N').split(':')[0]}`;
      tally[kind] = (tally[kind] ?? 0) + 1;
      const state = await Promise.all(DATASETS.map(async (id) => `${id} ${await accepted(id)}${models.get(id)!.build ? '+build' : ''}`));
      log(`step ${step}/${STEPS} ${name} ${model.id}: ${outcome} [${Date.now() - stepStart} ms; ${state.join(', ')}]`);
      for (const v of violations.slice(before)) log(`  VIOLATION ${v}`);
    }

    // The end: every build left running finishes, and each dataset is audited settled and compared with the CLI.
    for (const model of models.values()) {
      if (model.build) log(`end: ${model.id}: ${await finishBuild(model, STEPS + 1)}`);
      violations.push(...(await audit(model, STEPS + 1, { settled: true, what: 'at the end' })));
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from datasets where id = ${model.id}`;
      if (row.n) await compareWithCli(model, STEPS + 1, await accepted(model.id), true);
    }
    log(
      `done: ${STEPS} steps in ${Math.round((Date.now() - started) / 1000)} s, ${stack.worker.kills} worker kills, ${cliRuns} CLI comparisons, ${violations.length} violations`,
    );
    log(`outcomes: ${JSON.stringify(tally)}`);
    log(`stale writer leases seen (left by closed workflows, taken over by the next writer): ${[...staleLeases].join(', ') || 'none'}`);
    expect(violations).toEqual([]);
  });
});

/** A small document of distinct sentences: a few chunks, so builds stay short. */
function smallDocument(topic: string, salt: number): string {
  return Array.from({ length: 4 }, (_, p) =>
    Array.from(
      { length: 5 },
      (_, s) =>
        `Observation ${p}.${s} on ${topic}: sample ${(salt * 53 + p * 17 + s * 7) % 101} was taken at depth ${p * 3 + s} metres in zone ${String.fromCharCode(65 + ((p + s + salt) % 26))}.`,
    ).join(' '),
  ).join('\n\n');
}
