// The build loop end to end: a real worker on the real Temporal dev server, real PostgreSQL and LanceDB, and
// the project's OpenAI-compatible test server as the LLM (with its default 5% exact / near / semantic
// duplicates, so dedup has real work).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedupKeys } from '../../../src/activities/batch-dedup-prep';
import type { RecordContent } from '../../../src/domain/records/types';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import type { Database } from '../../../src/infra/db/client';
import type { BuildInput, BuildProgress } from '../../../src/workflows/build-input';
import { buildWorkflowId } from '../../../src/workflows/ids';
import type { RunningWorker } from '../../../src/worker/worker';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server';
import { testClient, testConfig, testDatabase, testWorker, uniqueId } from '../../support/env';

let llm: TestLlmServer;
let config: DatacreekConfig;
let worker: RunningWorker;
let client: Client;
let db: Database;
let docPath: string;

const TOPICS = ['glaciers', 'volcanoes', 'coral reefs', 'deserts', 'rainforests', 'tundra', 'estuaries', 'savannas'];

function sampleDocument(): string {
  return TOPICS.map(
    (t, i) =>
      `## ${t}\n\n` +
      Array.from(
        { length: 12 },
        (_, j) =>
          `Fact ${j + 1} about ${t}: the ${t} of region ${i}-${j} show pattern ${(i * 31 + j * 7) % 97} during season ${j % 4}, ` +
          `which scientists measured with instrument ${String.fromCharCode(65 + ((i + j) % 26))}.`,
      ).join(' '),
  ).join('\n\n');
}

beforeAll(async () => {
  llm = await startTestLlmServer();
  config = testConfig({
    llm: { base_url: llm.url, model: 'datacreek-test-llm', concurrency: 16, timeout_ms: 10_000, retries: 3 },
    embedding: { provider: 'openai', base_url: llm.url, model: 'datacreek-test-embedding' },
    reward: { base_url: llm.url, model: 'datacreek-test-reward' },
    chunking: { chunk_size: 600, overlap: 50, whole_document_below: 500 },
    generation: { batch_size: 2, items_per_chunk: 3, max_batches_in_flight: 3 },
  });
  worker = await testWorker(config);
  client = await testClient(config);
  db = testDatabase(config);
  docPath = path.join(config.paths.data_dir, 'nature.md');
  writeFileSync(docPath, sampleDocument());
});

afterAll(async () => {
  await worker?.shutdown();
  await db?.close();
  await client?.connection.close();
  await llm?.close();
});

async function datasetWithChunks(prefix: string): Promise<string> {
  const datasetId = uniqueId(prefix);
  const result = await client.workflow.execute('ingestWorkflow', {
    taskQueue: config.temporal.task_queue,
    workflowId: `ingest-${datasetId}`,
    args: [{ datasetId, items: [{ path: docPath }] }],
  });
  expect(result.totals.chunks).toBeGreaterThan(4);
  return datasetId;
}

function startBuild(input: BuildInput): Promise<WorkflowHandle> {
  return client.workflow.start('buildDataset', {
    taskQueue: config.temporal.task_queue,
    workflowId: buildWorkflowId(input.datasetId),
    args: [input],
  });
}

/** Every candidate is accounted for, and the accepted set is exactly what the progress says. */
async function expectCountsAddUp(datasetId: string, progress: BuildProgress) {
  const rows = await db.sql<{ status: string; reason: string | null; n: number }[]>`
    select status, reject_reason as reason, count(*)::int as n from records where dataset_id = ${datasetId} group by 1, 2`;
  const count = (status: string) => rows.filter((r) => r.status === status).reduce((s, r) => s + r.n, 0);
  expect(count('candidate')).toBe(0);
  expect(count('accepted')).toBe(progress.accepted);
  for (const r of rows.filter((r) => r.status === 'rejected' || r.status === 'surplus')) expect(r.reason).toBeTruthy();
  const [{ generated }] = await db.sql<{ generated: number }[]>`
    select count(*)::int as generated from records where dataset_id = ${datasetId} and content is not null`;
  expect(generated).toBe(progress.generated);
  const [{ dupes }] = await db.sql<{ dupes: number }[]>`
    select count(*)::int as dupes from (select content_hash from records where dataset_id = ${datasetId} and status = 'accepted'
      group by content_hash having count(*) > 1) d`;
  expect(dupes).toBe(0);
  const [{ max, n }] = await db.sql<{ max: number; n: number }[]>`
    select coalesce(max(accept_seq), 0)::int as max, count(distinct accept_seq)::int as n from records
    where dataset_id = ${datasetId} and status = 'accepted'`;
  expect(max).toBe(progress.accepted);
  expect(n).toBe(progress.accepted);
}

/** The dataset's accepted set is exactly `n` records numbered 1..n with no repeated content, and the row agrees. */
async function expectAcceptedSet(datasetId: string, n: number) {
  const [set] = await db.sql<{ n: number; min: number; max: number; seqs: number; hashes: number; candidates: number; count: number }[]>`
    select count(*)::int as n, coalesce(min(accept_seq), 0)::int as min, coalesce(max(accept_seq), 0)::int as max,
           count(distinct accept_seq)::int as seqs, count(distinct content_hash)::int as hashes,
           (select count(*)::int from records where dataset_id = ${datasetId} and status = 'candidate') as candidates,
           (select accepted_count from datasets where id = ${datasetId}) as count
    from records where dataset_id = ${datasetId} and status = 'accepted'`;
  expect(set).toEqual({ n, min: n ? 1 : 0, max: n, seqs: n, hashes: n, candidates: 0, count: n });
}

describe('buildDataset', () => {
  it('builds exactly the target, dedupes, judges, and every candidate is accounted for', async () => {
    const datasetId = await datasetWithChunks('build');
    const handle = await startBuild({ datasetId, target: 40, scoring: { mode: 'judge', threshold: 7 } });
    const progress: BuildProgress = await handle.result();
    expect(progress.stopReason).toBe('target_reached');
    expect(progress.accepted).toBe(40);
    await expectCountsAddUp(datasetId, progress);

    // The judge threshold filtered (the test server rates some records below 7) and held for every accepted record.
    expect(progress.rejected.low_score).toBeGreaterThan(0);
    const [{ low }] = await db.sql<{ low: number }[]>`
      select count(*)::int as low from records where dataset_id = ${datasetId} and status = 'accepted' and (score is null or score < 7)`;
    expect(low).toBe(0);
    // Planted duplicates were caught by the dedup stages.
    const dupReasons = Object.keys(progress.rejected).filter((r) => r.endsWith('_duplicate'));
    expect(dupReasons.length).toBeGreaterThan(0);

    const [dataset] = await db.sql<{ status: string; accepted_count: number; stop_reason: string }[]>`
      select status, accepted_count, stop_reason from datasets where id = ${datasetId}`;
    expect(dataset).toMatchObject({ status: 'completed', accepted_count: 40, stop_reason: 'target_reached' });
    const [saved] = await db.sql<{ progress: BuildProgress }[]>`select progress from build_progress where workflow_id = ${handle.workflowId}`;
    expect(saved.progress.accepted).toBe(40);

    // Records never travel through history: the largest payload in it is small.
    const history = await handle.fetchHistory();
    const largest = Math.max(...(history.events ?? []).map((e) => JSON.stringify(e).length));
    expect(largest).toBeLessThan(20_000);
  });

  it('building again continues from what the dataset holds in a new epoch; --fresh starts over and keeps the old records as superseded', async () => {
    const datasetId = await datasetWithChunks('again');
    const first: BuildProgress = await (await startBuild({ datasetId, target: 20, scoring: { mode: 'none' } })).result();
    expect(first).toMatchObject({ stopReason: 'target_reached', accepted: 20, acceptedBefore: 0, buildId: `build-${datasetId}/e1` });
    await expectCountsAddUp(datasetId, first);

    const second: BuildProgress = await (await startBuild({ datasetId, target: 30, scoring: { mode: 'none' } })).result();
    expect(second).toMatchObject({ stopReason: 'target_reached', accepted: 30, acceptedBefore: 20, buildId: `build-${datasetId}/e2` });
    await expectAcceptedSet(datasetId, 30);
    // The second build made only what was missing, under its own ids, in rounds after the first build's.
    const byBuild = await db.sql<{ build_id: string; accepted: number; min_round: number; max_round: number; foreign_batches: number }[]>`
      select build_id, count(*) filter (where status = 'accepted')::int as accepted, min(round)::int as min_round,
             max(round)::int as max_round, count(*) filter (where batch_id not like build_id || '/%')::int as foreign_batches
      from records where dataset_id = ${datasetId} group by build_id order by build_id`;
    expect(byBuild.map((b) => [b.build_id, b.accepted, b.foreign_batches])).toEqual([
      [`build-${datasetId}/e1`, 20, 0],
      [`build-${datasetId}/e2`, 10, 0],
    ]);
    expect(byBuild[1].min_round).toBeGreaterThan(byBuild[0].max_round);
    const [{ generated }] = await db.sql<{ generated: number }[]>`
      select count(*)::int as generated from records where build_id = ${second.buildId!} and content is not null`;
    expect(generated).toBe(second.generated);

    // A target below what the dataset holds is refused with the way out.
    const below = await startBuild({ datasetId, target: 25 })
      .then((h) => h.result())
      .catch((e) => e);
    expect(String(below.cause?.message)).toMatch(/already holds 30 accepted records, more than the target 25/);
    expect(below.cause?.details?.[0]?.hint).toMatch(/build to 30 or more, or start over with --fresh/);

    const fresh: BuildProgress = await (await startBuild({ datasetId, target: 10, fresh: true, scoring: { mode: 'none' } })).result();
    expect(fresh).toMatchObject({ stopReason: 'target_reached', accepted: 10, acceptedBefore: 0 });
    await expectAcceptedSet(datasetId, 10);
    const statuses = await db.sql<{ build_id: string; status: string; n: number; numbered: number }[]>`
      select build_id, status, count(*)::int as n, count(accept_seq)::int as numbered from records
      where dataset_id = ${datasetId} and status in ('accepted', 'superseded') group by 1, 2 order by 1, 2`;
    expect(statuses).toEqual([
      { build_id: `build-${datasetId}/e1`, status: 'superseded', n: 20, numbered: 0 },
      { build_id: `build-${datasetId}/e2`, status: 'superseded', n: 10, numbered: 0 },
      { build_id: `build-${datasetId}/e3`, status: 'accepted', n: 10, numbered: 10 },
    ]);
    const [dataset] = await db.sql<{ accepted_count: number; status: string }[]>`select accepted_count, status from datasets where id = ${datasetId}`;
    expect(dataset).toEqual({ accepted_count: 10, status: 'completed' });
  });

  it('a build paused as its batches meet the target completes', async () => {
    const datasetId = await datasetWithChunks('pause-at-target');
    llm.setOptions({ latencyMs: 300 });
    try {
      const handle = await startBuild({ datasetId, target: 4, concurrency: 2, scoring: { mode: 'none' } });
      await waitFor(async () => (await handle.query<BuildProgress>('progress')).batchesInFlight > 0, 30_000, 50);
      await handle.signal('pause');
      // Batches are sized to what is missing and aimed a little low, so the ones in flight may leave the target a
      // record or two short. Once they are done, a paused build still short has its target lowered to what it
      // holds: either way the paused build ends at its target, completed.
      let settled = -1;
      await waitFor(
        async () => {
          if ((await handle.describe()).status.name !== 'RUNNING') return true;
          const now = await handle.query<BuildProgress>('progress');
          const quiet = now.batchesInFlight === 0 && now.accepted > 0 && now.accepted === settled;
          settled = now.accepted;
          return quiet;
        },
        30_000,
        1000,
      );
      if ((await handle.describe()).status.name === 'RUNNING') {
        const held = (await handle.query<BuildProgress>('progress')).accepted;
        await handle.executeUpdate('setTarget', { args: [{ target: held }] });
      }
      const progress: BuildProgress = await handle.result();
      expect(progress).toMatchObject({ stopReason: 'target_reached', accepted: progress.target, status: 'completed' });
      expect(progress.accepted).toBeGreaterThan(0);
      expect(progress.accepted).toBeLessThanOrEqual(4);
      await expectCountsAddUp(datasetId, progress);
    } finally {
      llm.setOptions({ latencyMs: 0 });
    }
  });

  it('stops at max rounds and says so', async () => {
    const datasetId = await datasetWithChunks('rounds');
    const progress: BuildProgress = await (await startBuild({ datasetId, target: 10_000, maxRounds: 1, scoring: { mode: 'none' } })).result();
    expect(progress.stopReason).toBe('max_rounds');
    expect(progress.accepted).toBeGreaterThan(0);
    expect(progress.accepted).toBeLessThan(10_000);
    await expectCountsAddUp(datasetId, progress);
  });

  it('stops when the token budget is spent', async () => {
    const datasetId = await datasetWithChunks('budget');
    const progress: BuildProgress = await (await startBuild({ datasetId, target: 10_000, tokenBudget: 3000, scoring: { mode: 'none' } })).result();
    expect(progress.stopReason).toBe('token_budget');
    expect(progress.tokensIn + progress.tokensOut).toBeGreaterThanOrEqual(3000);
    await expectCountsAddUp(datasetId, progress);
  });

  it('pauses, resumes, takes a new target, continues as new, and cancels keeping what was accepted', async () => {
    const datasetId = await datasetWithChunks('control');
    llm.setOptions({ latencyMs: 30 });
    try {
      // Rounds without limit: when the test server repeats itself (after the file's earlier builds) the dataset's yield
      // levels off, and 20 rounds of duplicates once ended the build (max_rounds) before the cancel reached it.
      const handle = await startBuild({ datasetId, target: 400, concurrency: 2, scoring: { mode: 'none' }, maxRounds: 100_000 });
      await waitFor(async () => (await handle.query<BuildProgress>('progress')).accepted > 0);
      await handle.signal('pause');
      // Taken within seconds, also when it lands as the build continues as new (it was once lost there: the old run
      // finalized the dataset as failed before handing over, and a pause handled meanwhile missed the next run).
      await waitFor(async () => (await handle.query<BuildProgress>('progress')).status === 'paused', 10_000, 100);
      // Pausing stops new batches; batches already generated are still accepted, then the build is quiet: nothing
      // generating, and no candidate waiting for an acceptance (a batch waiting, or an acceptance running, leaves its
      // candidates undecided in PostgreSQL).
      await waitFor(async () => {
        const p = await handle.query<BuildProgress>('progress');
        if (p.batchesInFlight !== 0) return false;
        const [{ undecided }] = await db.sql<{ undecided: number }[]>`
          select count(*)::int as undecided from records where dataset_id = ${datasetId} and status = 'candidate'`;
        return undecided === 0 && (await handle.query<BuildProgress>('progress')).batchesInFlight === 0;
      });
      const paused = await handle.query<BuildProgress>('progress');
      expect(paused.status).toBe('paused');
      await new Promise((r) => setTimeout(r, 1500));
      expect((await handle.query<BuildProgress>('progress')).accepted).toBe(paused.accepted);

      // A target below what is accepted is refused; a valid one is taken.
      const zero = await refusal(handle.executeUpdate('setTarget', { args: [{ target: 0 }] }));
      expect(String(zero.cause?.message)).toMatch(/at least 1/);
      const below = await refusal(handle.executeUpdate('setTarget', { args: [{ target: paused.accepted - 1 }] }));
      expect(String(below.cause?.message)).toMatch(/below the \d+ records already accepted/);
      const raised = await handle.executeUpdate<BuildProgress, [{ target: number }]>('setTarget', { args: [{ target: 500 }] });
      expect(raised.target).toBe(500);
      const conc = await handle.executeUpdate<BuildProgress, [{ concurrency: number }]>('setConcurrency', { args: [{ concurrency: 3 }] });
      expect(conc.concurrency).toBe(3);

      await handle.signal('resume');
      await waitFor(async () => (await handle.query<BuildProgress>('progress')).continuedAsNew > 0, 120_000);
      // Continuing as new hands the build to its next run; it is not a failure (every continue-as-new used to finalize
      // the dataset as failed on the way out, which also let a pause or cancel land in the old run and be lost).
      const [during] = await db.sql<{ status: string }[]>`select status from datasets where id = ${datasetId}`;
      expect(during.status).toBe('building');
      // Resumed: batches are accepted again (their records may all be duplicates once the yield levels off).
      await waitFor(async () => (await handle.query<BuildProgress>('progress')).batchesDone > paused.batchesDone + 2);
      await handle.cancel();
      // The build must end cancelled; if it ever ends otherwise, the message says how (its progress, stop reason).
      const outcome = await handle.result().then(
        (progress: BuildProgress) => `completed: ${JSON.stringify(progress)}`,
        (error: unknown) => String(error),
      );
      expect(outcome).not.toMatch(/^completed/);
      expect(outcome).toMatch(/cancelled/i);
      const [dataset] = await db.sql<{ status: string; accepted_count: number }[]>`select status, accepted_count from datasets where id = ${datasetId}`;
      expect(dataset.status).toBe('cancelled');
      expect(dataset.accepted_count).toBeGreaterThanOrEqual(paused.accepted);
      const [{ candidates }] = await db.sql<{ candidates: number }[]>`
        select count(*)::int as candidates from records where dataset_id = ${datasetId} and status = 'candidate'`;
      expect(candidates).toBe(0);
    } finally {
      llm.setOptions({ latencyMs: 0 });
    }
  });

  it('writes back only the content a filter step changed: redacted PII reaches the accepted records, the rest stays as generated', async () => {
    const datasetId = uniqueId('pii');
    const piiDoc = path.join(config.paths.data_dir, `${datasetId}.md`);
    writeFileSync(
      piiDoc,
      TOPICS.map(
        (t, i) =>
          `## ${t}\n\n` +
          Array.from({ length: 8 }, (_, j) =>
            j % 2 === 0
              ? `Report ${j} on ${t} of region ${i}-${j} came in by phone from (555) ${String(100 + i * 10 + j)}-${String(1000 + i * 97 + j * 13)}, counting ${(i * 13 + j * 5) % 89} sites.`
              : `Note ${j} on ${t} of region ${i}-${j}: the survey found pattern ${(i * 31 + j * 7) % 97} during season ${j % 4}.`,
          ).join(' '),
      ).join('\n\n'),
    );
    await client.workflow.execute('ingestWorkflow', {
      taskQueue: config.temporal.task_queue,
      workflowId: `ingest-${datasetId}`,
      args: [{ datasetId, items: [{ path: piiDoc }] }],
    });
    const progress: BuildProgress = await (
      await startBuild({ datasetId, target: 12, scoring: { mode: 'none' }, filters: [{ step: 'pii', action: 'redact' }] })
    ).result();
    expect(progress).toMatchObject({ stopReason: 'target_reached', accepted: 12 });
    await expectCountsAddUp(datasetId, progress);
    const decided = await db.sql<{ text: string }[]>`
      select content::text as text from records where dataset_id = ${datasetId} and status in ('accepted', 'surplus') and content is not null`;
    // The test server's answers repeat the chunk's sentences: some carried a phone number, and none does any more.
    expect(decided.filter((r) => r.text.includes('[PHONE]')).length).toBeGreaterThan(0);
    expect(decided.filter((r) => /\(555\) \d{3}-\d{4}/.test(r.text))).toEqual([]);
    // Content no step changed is what the generator wrote (the hash was computed from it, and it was not rewritten).
    expect(decided.filter((r) => r.text.includes('the survey found pattern')).length).toBeGreaterThan(0);
    // Generation stored each candidate's dedup keys; processing rewrote them where the redaction changed the content:
    // every decided record's keys are those of the content it holds.
    const keyed = await db.sql<{ id: string; content: RecordContent; content_hash: string; minhash: Buffer }[]>`
      select id, content, content_hash, minhash from records
      where dataset_id = ${datasetId} and status in ('accepted', 'surplus') and content is not null`;
    expect(keyed.length).toBeGreaterThanOrEqual(12);
    const stale = keyed.filter((r) => {
      const keys = dedupKeys(r.content);
      return r.content_hash !== keys.contentHash || !keys.minhash.equals(r.minhash);
    });
    expect(stale.map((r) => r.id)).toEqual([]);
  });

  it('records unparseable output as rejected candidates with the raw text and the reason', async () => {
    const datasetId = await datasetWithChunks('parse');
    // A build of 15 makes only a handful of generation calls now: the first dozen requests answer prose for certain
    // (more than a first attempt and a re-ask of each call in the first wave), the rest at random.
    llm.setOptions({ faults: { not_json: 0.3 }, forcedFaults: Array(12).fill('not_json') });
    try {
      const progress: BuildProgress = await (await startBuild({ datasetId, target: 15, scoring: { mode: 'none' } })).result();
      expect(progress.accepted).toBe(15);
      expect(progress.parseFailures).toBeGreaterThan(0);
      const failures = await db.sql<{ raw_output: string; reject_detail: string }[]>`
        select raw_output, reject_detail from records where dataset_id = ${datasetId} and reject_reason = 'parse_failure'`;
      expect(failures.length).toBe(progress.parseFailures);
      for (const f of failures) {
        expect(f.raw_output.length).toBeGreaterThan(0);
        expect(f.reject_detail.length).toBeGreaterThan(0);
      }
      await expectCountsAddUp(datasetId, progress);
    } finally {
      llm.setOptions({ faults: { not_json: 0 }, forcedFaults: [] });
    }
  });

  it('scores with a reward model and keeps the parsed attributes', async () => {
    const datasetId = await datasetWithChunks('reward');
    const progress: BuildProgress = await (await startBuild({ datasetId, target: 10, scoring: { mode: 'reward', rewardThreshold: -100 } })).result();
    expect(progress.accepted).toBe(10);
    const rows = await db.sql<{ reward: { attributes: Record<string, number>; score: number } }[]>`
      select reward from records where dataset_id = ${datasetId} and status = 'accepted'`;
    for (const r of rows) {
      expect(Object.keys(r.reward.attributes)).toEqual(expect.arrayContaining(['helpfulness', 'correctness']));
      expect(typeof r.reward.score).toBe('number');
    }
  });

  it('fails at once, naming the problem, on an invalid input or a dataset with nothing to generate from', async () => {
    const bad = await client.workflow
      .execute('buildDataset', {
        taskQueue: config.temporal.task_queue,
        workflowId: uniqueId('build-bad'),
        args: [{ datasetId: 'x', target: 0, type: 'poem' }],
      })
      .catch((e) => e);
    expect(String(bad.cause?.message)).toMatch(/target/);
    expect(String(bad.cause?.message)).toMatch(/type/);
    const empty = await client.workflow
      .execute('buildDataset', {
        taskQueue: config.temporal.task_queue,
        workflowId: uniqueId('build-empty'),
        args: [{ datasetId: uniqueId('empty'), target: 5 }],
      })
      .catch((e) => e);
    expect(String(empty.cause?.message)).toMatch(/no chunks or seed records/);
    const badPrompt = await client.workflow
      .execute('buildDataset', {
        taskQueue: config.temporal.task_queue,
        workflowId: uniqueId('build-prompt'),
        args: [{ datasetId: uniqueId('prompt'), target: 5, prompts: { qa_generation: 'Write questions.' } }],
      })
      .catch((e) => e);
    expect(String(badPrompt.cause?.message)).toMatch(/qa_generation.*\{text\}/s);
  });
});

/** The error of an update the workflow must refuse; fails the test if it was accepted. */
function refusal(update: Promise<unknown>): Promise<Error & { cause?: Error }> {
  return update.then(
    () => {
      throw new Error('the update was accepted, but should have been refused');
    },
    (err: Error & { cause?: Error }) => err,
  );
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 60_000, intervalMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
