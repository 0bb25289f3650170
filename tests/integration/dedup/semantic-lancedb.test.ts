// Dedup across workers, with real PostgreSQL and LanceDB on disk: semantic matches through the dataset's LanceDB
// table, exact and near ones through PostgreSQL. Each "worker" is its own copy of the activity modules
// (vi.resetModules) with its own database pool and LanceDB connection, so nothing in memory is shared between them:
// whatever one accepts, the other can only learn from the stores.
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AcceptArgs } from '../../../src/activities/build-accept';
import type { ActivityDeps } from '../../../src/activities/deps';
import { candidateVectorTableName, recordTableName } from '../../../src/infra/vectors/table-names';
import { seededRandom } from '../../../src/infra/common/seeded-random';
import { minHasherFor, signatureToBuffer } from '../../../src/domain/dedup/minhash';
import { contentHash } from '../../../src/domain/dedup/normalize';
import type { RecordContent } from '../../../src/domain/records/types';
import { dedupKeyColumns } from '../../../src/activities/batch-dedup-prep';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import type { AcceptSummary, BuildSettings } from '../../../src/workflows/build-settings';
import { testConfig, uniqueId } from '../../support/env';

const DIMS = 16;
const THRESHOLD = 0.9;

interface Worker {
  deps: ActivityDeps;
  /** `attempt` is Temporal's: 1 for the first run of the activity, more for its retries. */
  accept(args: AcceptArgs, attempt?: number): Promise<AcceptSummary>;
  curateBatch(args: { datasetId: string; fromSeq: number; toSeq: number; filters: Record<string, unknown>[] }): Promise<unknown>;
}

/** A fresh copy of the activity code with its own connections: a second process, as far as memory goes. */
async function startWorker(config: DatacreekConfig): Promise<Worker> {
  vi.resetModules();
  const { createActivityDeps } = await import('../../../src/activities/deps');
  const { acceptCandidates } = await import('../../../src/activities/build-accept');
  const { createCurateActivities } = await import('../../../src/activities/curate');
  const deps = createActivityDeps(config);
  const curate = createCurateActivities(deps);
  return {
    deps,
    accept: (args, attempt = 1) => new MockActivityEnvironment({ attempt }).run(() => acceptCandidates(deps, args, Context.current())),
    curateBatch: (args) => new MockActivityEnvironment().run(() => curate.curateBatch({ ...args, threshold: 0, scoring: 'none' })),
  };
}

/** Retries an acceptance the way Temporal would when another writer changed the accepted set meanwhile. */
async function acceptWithRetries(worker: Worker, args: AcceptArgs): Promise<{ summary: AcceptSummary; retries: number }> {
  for (let retries = 0; ; retries++) {
    try {
      return { summary: await worker.accept(args), retries };
    } catch (err) {
      if (!/changed during acceptance/.test(String(err)) || retries >= 5) throw err;
    }
  }
}

const random = seededRandom(42);
function randomUnit(): number[] {
  const v = Array.from({ length: DIMS }, () => random() * 2 - 1);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
/** A vector at cosine ≈ 0.99 to `v`. */
function near(v: number[]): number[] {
  return v.map((x) => x + (random() * 2 - 1) * 0.03);
}
function cosine(a: number[], b: number[]): number {
  return a.reduce((s, x, i) => s + x * b[i], 0) / (Math.hypot(...a) * Math.hypot(...b));
}

let config: DatacreekConfig;
let workerA: Worker;
let workerB: Worker;
let datasetId: string;
let batchCount = 0;
const hasher = minHasherFor({ numPerm: 128 });

function settingsFor(id: string): BuildSettings {
  return {
    datasetId: id,
    buildId: `build-${id}/e1`,
    dedup: { exact: true, minhash: { enabled: true, threshold: 0.8 }, semantic: { enabled: true, threshold: THRESHOLD } },
  } as BuildSettings;
}

/** A processed batch of candidates, written as processing writes them: rows in PostgreSQL, vectors in LanceDB. */
async function processedBatch(worker: Worker, items: { question: string; vector: number[] }[]): Promise<{ batchId: string; ids: string[] }> {
  const { sql } = worker.deps.database;
  const batchId = `build-${datasetId}/e1/r0/b${batchCount++}`;
  await sql`insert into batches (id, dataset_id, round, "index", status, summary) values (${batchId}, ${datasetId}, 0, ${batchCount}, 'processed', '{}')`;
  const ids = items.map((_, i) => `${batchId}/${i}`);
  for (const [i, item] of items.entries()) {
    const content = { type: 'qa', question: item.question, answer: `An answer about ${item.question}` };
    await sql`insert into records (id, dataset_id, build_id, batch_id, round, position, status, type, content, content_hash, minhash)
      values (${ids[i]}, ${datasetId}, ${`build-${datasetId}/e1`}, ${batchId}, 0, ${i}, 'candidate', 'qa', ${sql.json(content)},
              ${contentHash(content as never)}, ${signatureToBuffer(hasher.signature(`${item.question} ${content.answer}`))})`;
  }
  await (await worker.deps.vectors()).upsert(
    candidateVectorTableName(datasetId),
    items.map((item, i) => ({ id: ids[i], vector: item.vector, text: item.question })),
  );
  return { batchId, ids };
}

async function statusOf(worker: Worker, ids: string[]): Promise<Record<string, { status: string; reason: string | null }>> {
  const rows = await worker.deps.database.sql<{ id: string; status: string; reject_reason: string | null }[]>`
    select id, status, reject_reason from records where id in ${worker.deps.database.sql(ids)}`;
  return Object.fromEntries(rows.map((r) => [r.id, { status: r.status, reason: r.reject_reason }]));
}

async function acceptedVectorIds(worker: Worker): Promise<string[]> {
  return (await (await worker.deps.vectors()).readVectors(recordTableName(datasetId))).ids.sort();
}

beforeAll(async () => {
  config = testConfig({ dedup: { cache_mb: 1 } });
  workerA = await startWorker(config);
  workerB = await startWorker(config);
  datasetId = uniqueId('lance-dedup');
  await workerA.deps.database.sql`insert into users (id, name) values ('local', 'Local user') on conflict (id) do nothing`;
  await workerA.deps.database.sql`insert into datasets (id, owner_id, name, type) values (${datasetId}, 'local', ${datasetId}, 'qa')`;
});

afterAll(async () => {
  for (const worker of [workerA, workerB]) await worker?.deps.close();
});

describe('semantic dedup in LanceDB', () => {
  it('a worker that never saw the other worker accept finds its semantic duplicate in LanceDB', async () => {
    const v = randomUnit();
    const first = await processedBatch(workerA, [{ question: 'How do glaciers carve valleys?', vector: v }]);
    const second = await processedBatch(workerB, [{ question: 'Tell me what forces let ice sheets shape the land', vector: near(v) }]);
    const a = await workerA.accept({
      batchIds: [first.batchId],
      acceptanceId: `${first.batchId}/accept`,
      settings: settingsFor(datasetId),
      target: 100,
      remaining: 0,
    });
    expect(a.accepted).toBe(1);
    const b = await workerB.accept({
      batchIds: [second.batchId],
      acceptanceId: `${second.batchId}/accept`,
      settings: settingsFor(datasetId),
      target: 100,
      remaining: 0,
    });
    expect(b).toMatchObject({ accepted: 0, duplicates: { semantic_duplicate: 1 } });
    expect(await statusOf(workerA, [...first.ids, ...second.ids])).toEqual({
      [first.ids[0]]: { status: 'accepted', reason: null },
      [second.ids[0]]: { status: 'rejected', reason: 'semantic_duplicate' },
    });
    expect(await acceptedVectorIds(workerB)).toEqual(first.ids);
  });

  it('two workers accepting near-identical candidates at the same time accept only one of them', async () => {
    const v = randomUnit();
    const x = await processedBatch(workerA, [{ question: 'Why is the sky blue at noon?', vector: v }]);
    const y = await processedBatch(workerB, [{ question: 'Explain Rayleigh scattering of daylight', vector: near(v) }]);
    expect(
      cosine(v, (await (await workerA.deps.vectors()).readVectorsByIds(candidateVectorTableName(datasetId), y.ids)).get(y.ids[0])! as unknown as number[]),
    ).toBeGreaterThan(THRESHOLD);
    const [rx, ry] = await Promise.all([
      acceptWithRetries(workerA, { batchIds: [x.batchId], acceptanceId: `${x.batchId}/accept`, settings: settingsFor(datasetId), target: 100, remaining: 0 }),
      acceptWithRetries(workerB, { batchIds: [y.batchId], acceptanceId: `${y.batchId}/accept`, settings: settingsFor(datasetId), target: 100, remaining: 0 }),
    ]);
    expect(rx.summary.accepted + ry.summary.accepted).toBe(1);
    const statuses = Object.values(await statusOf(workerA, [...x.ids, ...y.ids]));
    expect(statuses.map((s) => s.status).sort()).toEqual(['accepted', 'rejected']);
    expect(statuses.find((s) => s.status === 'rejected')!.reason).toBe('semantic_duplicate');
  });

  it('compares the candidates of one acceptance with each other', async () => {
    const v = randomUnit();
    const w = randomUnit();
    const batch = await processedBatch(workerB, [
      { question: 'What does a mitochondrion do?', vector: v },
      { question: 'Describe the powerhouse of the cell', vector: near(v) },
      { question: 'Who wrote the Odyssey?', vector: w },
    ]);
    const summary = await workerB.accept({
      batchIds: [batch.batchId],
      acceptanceId: `${batch.batchId}/accept`,
      settings: settingsFor(datasetId),
      target: 100,
      remaining: 0,
    });
    expect(summary).toMatchObject({ accepted: 2, duplicates: { semantic_duplicate: 1 } });
    expect((await statusOf(workerB, batch.ids))[batch.ids[1]]).toEqual({ status: 'rejected', reason: 'semantic_duplicate' });
  });

  it('a retried acceptance writes no vector twice, and a vector whose record is not accepted matches nothing', async () => {
    const store = await workerA.deps.vectors();
    const before = await store.count(recordTableName(datasetId));
    const batchId = `build-${datasetId}/e1/r0/b2`; // the concurrent test's second batch, already accepted
    const [row] = await workerA.deps.database.sql<{ id: string }[]>`select id from acceptances where id = ${`${batchId}/accept`}`;
    expect(row).toBeDefined();
    await workerA.accept({ batchIds: [batchId], acceptanceId: `${batchId}/accept`, settings: settingsFor(datasetId), target: 100, remaining: 0 });
    expect(await store.count(recordTableName(datasetId))).toBe(before);

    // A vector left behind by an acceptance whose commit failed: its record is still only a candidate elsewhere.
    const ghost = randomUnit();
    await store.upsert(recordTableName(datasetId), [{ id: `build-${datasetId}/e1/r9/b9/0`, vector: ghost, text: 'never accepted' }]);
    const batch = await processedBatch(workerA, [{ question: 'How do tides follow the moon?', vector: near(ghost) }]);
    const summary = await workerA.accept({
      batchIds: [batch.batchId],
      acceptanceId: `${batch.batchId}/accept`,
      settings: settingsFor(datasetId),
      target: 100,
      remaining: 0,
    });
    expect(summary.accepted).toBe(1);
  });

  it('records curation removes lose their vectors, and a new candidate like them is accepted again', async () => {
    const { sql } = workerA.deps.database;
    const accepted = await sql<{ id: string; accept_seq: number }[]>`
      select id, accept_seq from records where dataset_id = ${datasetId} and status = 'accepted' order by accept_seq`;
    expect(accepted.length).toBe(5);
    const vectorsBefore = await acceptedVectorIds(workerA);
    expect(vectorsBefore).toEqual(expect.arrayContaining(accepted.map((r) => r.id)));
    // Every test answer is shorter than this, so curation removes the whole accepted set.
    await workerA.curateBatch({ datasetId, fromSeq: 1, toSeq: 1, filters: [{ step: 'length', minChars: 1000 }] });
    const removed = accepted[0].id;
    expect((await statusOf(workerA, [removed]))[removed].status).toBe('rejected');
    expect(await acceptedVectorIds(workerA)).not.toContain(removed);
    expect((await acceptedVectorIds(workerA)).length).toBe(vectorsBefore.length - 1);

    // The first test's rejected candidate was a duplicate of the removed record: a rerun of it is accepted now.
    const original = (await (await workerA.deps.vectors()).readVectorsByIds(candidateVectorTableName(datasetId), [removed])).get(removed)!;
    const again = await processedBatch(workerB, [{ question: 'What sculpts a glacial valley?', vector: near(Array.from(original)) }]);
    const summary = await workerB.accept({
      batchIds: [again.batchId],
      acceptanceId: `${again.batchId}/accept`,
      settings: settingsFor(datasetId),
      target: 100,
      remaining: 0,
    });
    expect(summary.accepted).toBe(1);
  });

  it('a first attempt appends the accepted vectors; a retry after an attempt that wrote them and rolled back keeps one row per record', async () => {
    const store = await workerA.deps.vectors();
    const rowsOf = async (id: string) => (await store.readVectors(recordTableName(datasetId))).ids.filter((held) => held === id).length;

    const first = await processedBatch(workerA, [{ question: 'Why do leaves turn red in autumn?', vector: randomUnit() }]);
    const firstArgs = { batchIds: [first.batchId], acceptanceId: `${first.batchId}/accept`, settings: settingsFor(datasetId), target: 100, remaining: 0 };
    expect((await workerA.accept(firstArgs, 1)).accepted).toBe(1);
    expect(await rowsOf(first.ids[0])).toBe(1);

    // An earlier attempt appended this candidate's vector, then its transaction rolled back: the row is there, the
    // record still a candidate. The retry (attempt 2) merges on id instead of appending a second row.
    const vector = randomUnit();
    const retried = await processedBatch(workerA, [{ question: 'What makes bread rise?', vector }]);
    await store.append(recordTableName(datasetId), [{ id: retried.ids[0], vector, text: 'What makes bread rise?' }]);
    const retryArgs = { batchIds: [retried.batchId], acceptanceId: `${retried.batchId}/accept`, settings: settingsFor(datasetId), target: 100, remaining: 0 };
    expect((await workerA.accept(retryArgs, 2)).accepted).toBe(1);
    expect(await rowsOf(retried.ids[0])).toBe(1);
    expect((await statusOf(workerA, retried.ids))[retried.ids[0]].status).toBe('accepted');
  });
});

// Exact and near duplicates are looked up in PostgreSQL too: the worker holds only a compact index of the accepted
// records' MinHash bands (caught up by accept_seq), so a worker that never saw the other accept still finds them.
describe('exact and near dedup through PostgreSQL', () => {
  const long = (topic: string) =>
    `Which steps does a careful field team follow to measure ${topic} along the northern coast during spring tides when the weather turns and the instruments drift slowly out of calibration over several weeks`;

  beforeAll(async () => {
    datasetId = uniqueId('pg-dedup');
    await workerA.deps.database.sql`insert into datasets (id, owner_id, name, type) values (${datasetId}, 'local', ${datasetId}, 'qa')`;
  });

  async function accept(worker: Worker, batchId: string): Promise<AcceptSummary> {
    return worker.accept({ batchIds: [batchId], acceptanceId: `${batchId}/accept`, settings: settingsFor(datasetId), target: 100, remaining: 0 });
  }

  it("a worker that never saw the other worker accept finds an exact copy and a near copy of that worker's records", async () => {
    const original = long('salinity');
    const nearCopy = original.replace('several weeks', 'several months');
    const minhashText = (q: string) => `${q} An answer about ${q}`;
    // The near copy really is near (estimated Jaccard ≥ 0.8) and not exact.
    const equalSlots = hasher.signature(minhashText(original)).filter((x, i) => x === hasher.signature(minhashText(nearCopy))[i]).length;
    expect(equalSlots / 128).toBeGreaterThanOrEqual(0.8);

    const first = await processedBatch(workerA, [{ question: original, vector: randomUnit() }]);
    expect(await accept(workerA, first.batchId)).toMatchObject({ accepted: 1 });
    const second = await processedBatch(workerB, [
      { question: original, vector: randomUnit() },
      { question: nearCopy, vector: randomUnit() },
      { question: 'Who first charted the currents of the Gulf Stream, and with which instruments?', vector: randomUnit() },
    ]);
    expect(await accept(workerB, second.batchId)).toMatchObject({ accepted: 1, duplicates: { exact_duplicate: 1, near_duplicate: 1 } });
    expect(await statusOf(workerB, second.ids)).toEqual({
      [second.ids[0]]: { status: 'rejected', reason: 'exact_duplicate' },
      [second.ids[1]]: { status: 'rejected', reason: 'near_duplicate' },
      [second.ids[2]]: { status: 'accepted', reason: null },
    });
    const [detail] = await workerB.deps.database.sql<{ reject_detail: string }[]>`select reject_detail from records where id = ${second.ids[1]}`;
    expect(detail.reject_detail).toMatch(new RegExp(`^duplicate of ${first.ids[0].replace(/[/]/g, '\\/')} \\(similarity 0\\.\\d{3}\\)$`));
  });

  it('a worker whose cached bands are behind catches up with what the other accepted since', async () => {
    // Worker B cached the bands at its last acceptance; worker A accepts one more record after it.
    const question =
      'How did medieval glassmakers in Venice keep their furnace recipes secret from rival guilds while still training apprentices who might leave the island one day';
    const later = await processedBatch(workerA, [{ question, vector: randomUnit() }]);
    expect(await accept(workerA, later.batchId)).toMatchObject({ accepted: 1 });
    const copy = await processedBatch(workerB, [{ question: question.replace('one day', 'some day'), vector: randomUnit() }]);
    expect(await accept(workerB, copy.batchId)).toMatchObject({ accepted: 0, duplicates: { near_duplicate: 1 } });
  });

  it('curation that rewrites an accepted record (PII redaction) rewrites the keys it is looked up by', async () => {
    const { sql } = workerA.deps.database;
    const question = 'Who answers the letters sent to tides@example.org about the spring survey of the northern coast';
    const batch = await processedBatch(workerA, [{ question, vector: randomUnit() }]);
    expect(await accept(workerA, batch.batchId)).toMatchObject({ accepted: 1 });
    const [{ accept_seq: seq }] = await sql<{ accept_seq: number }[]>`select accept_seq from records where id = ${batch.ids[0]}`;
    await workerA.curateBatch({ datasetId, fromSeq: seq, toSeq: seq, filters: [{ step: 'pii', action: 'redact', kinds: ['email'] }] });

    const [row] = await sql<{ content: RecordContent; content_hash: string; minhash: Buffer }[]>`
      select content, content_hash, minhash from records where id = ${batch.ids[0]} and status = 'accepted'`;
    expect(JSON.stringify(row.content)).not.toContain('tides@example.org');
    const keys = dedupKeyColumns(row.content);
    expect(row.content_hash).toBe(keys.content_hash);
    expect(Buffer.compare(row.minhash, keys.minhash)).toBe(0);
  });
});
