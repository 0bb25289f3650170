// Several machines: three workers, each in a working directory of its own with its own data folder (no disk in
// common), and two API nodes, sharing only Temporal, PostgreSQL and the object store (a SeaweedFS bucket, which
// also holds the LanceDB dedup tables). A document is uploaded through one API node, a 300-record build is started
// through the other, and two of the three workers are SIGKILLed at random moments of the build and NOT restarted:
// the machines are lost, and the last worker has to finish the build alone, within the one LLM endpoint budget the
// workers share. The audit then checks exactly 300 accepted, the build's bookkeeping, and, recomputed offline over
// the whole accepted set, that no pair of accepted records is at or above the configured exact, MinHash or semantic
// thresholds; finally an export written by the surviving worker downloads through the API node of another machine.
// The kill moments come from a seeded generator and are logged; replay a run with CHAOS_SEED=<seed>.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeaweedFs, type SeaweedFsHandle } from '../../src/infra/services/seaweedfs';
import type { BuildProgress } from '../../src/workflows/build-input';
import { buildWorkflowId } from '../../src/workflows/ids';
import { postForm, settledTask, startChaosApi, type ChaosApi } from './api-server';
import { acceptedSoFar, activityRetries, auditFinishedBuild, buildResult } from '../../testkit/chaos/build-run';
import { auditAcceptedDuplicates } from './dedup-audit';
import { seededRandom } from '../../src/infra/common/seeded-random';
import { sleep, startChaosStack, waitFor, type ChaosStack } from '../../testkit/chaos/harness';
import { recordChaosFigures } from '../../testkit/chaos/report';
import { WorkerProcess } from '../../testkit/chaos/worker-process';

const TARGET = 300;
const KILLS = 2;
const BATCH_SIZE = 4;
const DATASET_ID = 'multi-machine';

/** One simulated machine: a folder standing for its disk, and the worker process running there. */
interface Machine {
  name: string;
  dataDir: string;
  worker: WorkerProcess;
}

let stack: ChaosStack;
let objectStore: SeaweedFsHandle;
/** The `storage` settings every machine gets: one bucket on the SeaweedFS server, the only storage they share. */
let storage: ReturnType<SeaweedFsHandle['storageConfig']>;
let machines: Machine[];
let uploadApi: ChaosApi;
let buildApi: ChaosApi;

function machine(name: string): Machine {
  const root = path.join(stack.dir, 'machines', name);
  const cwd = path.join(root, 'cwd');
  const dataDir = path.join(root, 'data');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const env = {
    ...stack.workerEnv,
    DATACREEK_PATHS_DATA_DIR: dataDir,
    DATACREEK_STORAGE_URL: storage.url,
    DATACREEK_STORAGE_ENDPOINT: storage.endpoint,
    DATACREEK_STORAGE_REGION: storage.region,
    DATACREEK_STORAGE_ACCESS_KEY_ID: storage.access_key_id,
    DATACREEK_STORAGE_SECRET_ACCESS_KEY: storage.secret_access_key,
    DATACREEK_STORAGE_FORCE_PATH_STYLE: String(storage.force_path_style),
  };
  const worker = new WorkerProcess({ env, cwd, logFile: path.join(root, 'worker.log') });
  return { name, dataDir, worker };
}

/** A document of many distinct facts (about 30 chunks at a 600-character chunk size), enough for 300 records. */
function manyFactsDocument(): string {
  const subjects = ['glacier', 'volcano', 'coral reef', 'desert', 'rainforest', 'tundra', 'estuary', 'savanna', 'fjord', 'mangrove', 'steppe', 'atoll'];
  const instruments = ['seismometer', 'spectrometer', 'anemometer', 'hydrophone', 'magnetometer', 'lidar scanner', 'rain gauge', 'drone camera'];
  return subjects
    .map(
      (subject, i) =>
        `## The ${subject} survey\n\n` +
        Array.from(
          { length: 10 },
          (_, j) =>
            `Observation ${i * 10 + j + 1}: at the ${subject} site number ${i + 1}.${j + 1}, the team used a ${instruments[(i + j) % instruments.length]} ` +
            `and recorded ${((i * 37 + j * 11) % 89) + 10} events in year ${1990 + ((i * 7 + j * 3) % 30)}, mostly during ${['spring', 'summer', 'autumn', 'winter'][(i + j) % 4]}.`,
        ).join(' '),
    )
    .join('\n\n');
}

/** What a stalled build's activities are stuck on, as the server last saw them. */
async function pendingActivityFailures(handle: WorkflowHandle): Promise<string> {
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  return JSON.stringify(pending.map((a) => ({ activity: a.activityType?.name, attempt: a.attempt, lastFailure: a.lastFailure?.message })));
}

beforeAll(async () => {
  // 30 ms per LLM call keeps batches in flight long enough for a kill to land inside them.
  // Side by side; allSettled, so whichever started is stopped by afterAll even when the other failed.
  const [startedStack, startedStore] = await Promise.allSettled([
    startChaosStack({ name: 'multi-machine', llm: { latencyMs: 30 }, startWorker: false }),
    startSeaweedFs({ buckets: ['datacreek'] }),
  ]);
  if (startedStack.status === 'fulfilled') stack = startedStack.value;
  if (startedStore.status === 'fulfilled') objectStore = startedStore.value;
  for (const outcome of [startedStack, startedStore]) if (outcome.status === 'rejected') throw outcome.reason;
  storage = objectStore.storageConfig('datacreek', 'multi-machine');
  machines = ['a', 'b', 'c'].map(machine);
  // The API nodes live on machines a and b, each with that machine's data folder.
  [uploadApi, buildApi] = await Promise.all([
    startChaosApi(stack, { paths: { data_dir: machines[0].dataDir }, storage }),
    startChaosApi(stack, { paths: { data_dir: machines[1].dataDir }, storage }),
    ...machines.map((m) => m.worker.start()),
  ]);
}, 300_000);

afterAll(async () => {
  await Promise.all((machines ?? []).map((m) => m.worker.stop(5_000)));
  await uploadApi?.close();
  await buildApi?.close();
  await stack?.close();
  await objectStore?.stop();
});

describe('several machines sharing only Temporal, PostgreSQL and the object store', () => {
  it(`build exactly ${TARGET} records, free of duplicates, while ${KILLS} of 3 workers are SIGKILLed for good`, async () => {
    const started = Date.now();
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1e9));
    const random = seededRandom(seed);
    const events: string[] = [];
    const log = (event: string) => {
      events.push(event);
      console.log(`[chaos multi-machine] ${event}`);
    };
    log(`seed ${seed}`);
    const at = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

    // ---- ingest by upload through API node a (the file goes to the object store; any worker may ingest it) -----
    const user = await uploadApi.createUser('multi-machine');
    const form = new FormData();
    form.set('datasetId', DATASET_ID);
    form.set('config', JSON.stringify({ chunking: { chunk_size: 600, overlap: 50, whole_document_below: 500 } }));
    form.set('file', new Blob([manyFactsDocument()], { type: 'text/markdown' }), 'survey.md');
    const upload = await postForm(`${uploadApi.url}/v1/tasks/ingest`, form, { key: user.key });
    expect(upload.status, upload.text).toBe(202);
    const ingest = await settledTask(uploadApi, user.key, upload.body.taskId);
    expect(ingest.status, JSON.stringify(ingest)).toBe('completed');
    const [{ chunks }] = await stack.db.sql<{ chunks: number }[]>`select count(*)::int as chunks from chunks where dataset_id = ${DATASET_ID}`;
    log(`${at()}: uploaded through API node a, ingested into ${chunks} chunks`);
    expect(chunks).toBeGreaterThanOrEqual(24);

    // ---- build through API node b, on all three machines ------------------------------------------------------
    stack.llm.resetStats();
    const build = await buildApi.call('POST', '/v1/tasks/build', {
      key: user.key,
      json: { datasetId: DATASET_ID, target: TARGET, batchSize: BATCH_SIZE, itemsPerChunk: 4, concurrency: 6, scoring: { mode: 'judge', threshold: 7 } },
    });
    expect(build.status, build.text).toBe(202);
    const handle = stack.client.workflow.getHandle(buildWorkflowId(DATASET_ID));
    log(`${at()}: build of ${TARGET} started through API node b; workers on machines ${machines.map((m) => m.name).join(', ')}`);

    // ---- two SIGKILLs at random moments, the victims drawn at random; nobody is restarted --------------------
    const killPoints = Array.from({ length: KILLS }, () => Math.floor((0.1 + random() * 0.65) * TARGET)).sort((a, b) => a - b);
    const acceptedAtKills: number[] = [];
    for (const [i, point] of killPoints.entries()) {
      await waitFor(`${point} accepted records`, async () => ((await acceptedSoFar(stack.db, DATASET_ID)) >= point ? true : undefined), 120_000).catch(
        async (err) => {
          throw new Error(`${(err as Error).message}; the build's activities: ${await pendingActivityFailures(handle)}`);
        },
      );
      const delayMs = Math.floor(random() * 500);
      await sleep(delayMs);
      const alive = machines.filter((m) => m.worker.running);
      const victim = alive[Math.floor(random() * alive.length)];
      const acceptedAtKill = await acceptedSoFar(stack.db, DATASET_ID);
      acceptedAtKills.push(acceptedAtKill);
      const pid = victim.worker.pid;
      await victim.worker.kill();
      log(
        `${at()}: kill ${i + 1}: SIGKILL machine ${victim.name}'s worker (pid ${pid}) at ${acceptedAtKill}/${TARGET} accepted (point ${point} + ${delayMs} ms)`,
      );
    }
    const survivor = machines.find((m) => m.worker.running)!;
    log(`machine ${survivor.name}'s worker carries on alone`);

    const progress: BuildProgress = await buildResult(handle);
    log(`${at()}: build finished: ${progress.stopReason}, ${progress.accepted} accepted, ${progress.generated} generated`);
    const audit = await auditFinishedBuild(stack.db, DATASET_ID, progress, BATCH_SIZE);

    // ---- offline duplicate audit over the whole accepted set ---------------------------------------------------
    const duplicates = await auditAcceptedDuplicates(stack.db, DATASET_ID, stack.workerConfig);
    log(
      `offline audit: ${duplicates.records} accepted, ${duplicates.pairsCompared} pairs, most similar pair: ` +
        `Jaccard ${duplicates.maxJaccard.toFixed(4)} (threshold ${stack.workerConfig.dedup.minhash.threshold}), ` +
        `cosine ${duplicates.maxCosine.toFixed(4)} (threshold ${stack.workerConfig.dedup.semantic.threshold}, ${stack.workerConfig.embedding.provider} embedder)`,
    );

    // ---- the endpoint budget, as the LLM server saw it ----------------------------------------------------------
    const llmStats = stack.llm.stats();
    const budget = stack.workerConfig.llm.concurrency;
    log(`LLM server: ${llmStats.requests} requests, at most ${llmStats.peakOpen} open at once (budget ${budget}, shared by ${machines.length} workers)`);

    // ---- an export written by the surviving worker downloads through the API node of another machine ----------
    const [saveApi, downloadApi, downloadMachine] = survivor.name === 'a' ? [uploadApi, buildApi, 'b'] : [buildApi, uploadApi, 'a'];
    const save = await saveApi.call('POST', '/v1/tasks/save', { key: user.key, json: { datasetId: DATASET_ID, format: 'openai-chat' } });
    expect(save.status, save.text).toBe(202);
    const saved = await settledTask(saveApi, user.key, save.body.taskId);
    expect(saved.status, JSON.stringify(saved)).toBe('completed');
    const exported = saved.result as { exportId: string; recordCount: number; files: { split: string; records: number; bytes: number }[] };
    const downloads = await Promise.all(
      exported.files.map(async (file) => {
        const res = await downloadApi.call('GET', `/v1/exports/${encodeURIComponent(exported.exportId)}/download?split=${encodeURIComponent(file.split)}`, {
          key: user.key,
        });
        return { ...file, status: res.status, bytesDownloaded: Buffer.byteLength(res.text), lines: res.text.split('\n').filter((l) => l.trim()) };
      }),
    );
    const exportedLines = downloads.flatMap((d) => d.lines);
    log(
      `${at()}: export ${exported.exportId} written on machine ${survivor.name}, downloaded through API node ${downloadMachine}: ` +
        downloads.map((d) => `${d.split} ${d.status} ${d.lines.length} lines ${d.bytesDownloaded} bytes`).join(', '),
    );
    // Nothing of the upload or the export was kept on a machine's own disk: it all went through the object store.
    const keptLocally = machines.flatMap((m) => ['uploads', 'exports'].filter((dir) => existsSync(path.join(m.dataDir, dir))).map((dir) => `${m.name}:${dir}`));

    recordChaosFigures({
      test: 'multi-machine',
      scenario: `3 workers on separate disks, 2 API nodes; SIGKILL ${KILLS} workers for good during a ${TARGET}-record build`,
      durationMs: Date.now() - started,
      seed,
      kills: machines.reduce((n, m) => n + m.worker.kills, 0),
      activityRetries: await activityRetries(stack.client, handle.workflowId),
      workerRestarts: 0,
      target: TARGET,
      accepted: audit.accepted,
      parseFailures: audit.parseFailures,
      recordsLost: audit.recordsLost,
      duplicates: audit.duplicates + duplicates.pairs.length,
      llmRequests: llmStats.requests,
      peakInFlight: llmStats.peakOpen,
      concurrencyLimit: budget,
      events,
    });

    for (const accepted of acceptedAtKills) expect(accepted).toBeLessThan(TARGET);
    expect(machines.filter((m) => m.worker.running)).toHaveLength(1);
    expect(audit.violations).toEqual([]);
    expect(audit.accepted).toBe(TARGET);
    expect(duplicates.records).toBe(TARGET);
    expect(duplicates.pairsCompared).toBe((TARGET * (TARGET - 1)) / 2);
    expect(duplicates.pairs).toEqual([]);
    expect(llmStats.peakOpen).toBeLessThanOrEqual(budget);
    expect(exported.recordCount).toBe(TARGET);
    for (const d of downloads) {
      expect(d.status, `${d.split}: ${d.lines.slice(0, 1).join('')}`).toBe(200);
      expect(d.bytesDownloaded).toBe(d.bytes);
      expect(d.lines).toHaveLength(d.records);
    }
    expect(exportedLines).toHaveLength(TARGET);
    expect(new Set(exportedLines).size).toBe(TARGET);
    expect(keptLocally).toEqual([]);
  });
});
