import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chunkTableName,
  dropDatasetTables,
  embedLexical,
  openVectorStore,
  recordTableName,
  vectorTableName,
  type VectorStore,
} from '../../../src/infra/vectors';
import { vectorCacheBytes } from '../../../src/infra/vectors/store';

const texts = ['the cat sat on the mat', 'dogs chase cats in the park', 'quantum physics lecture notes', 'a cat sat on the mat'];
const vectors = embedLexical(texts);
const rows = texts.map((text, i) => ({ id: `r${i}`, vector: vectors[i], text, round: i, tag: i % 2 ? 'odd' : 'even' }));

describe('vector store on LanceDB', () => {
  let dir: string;
  let store: VectorStore;
  const table = vectorTableName('Team A/dataset #1', 'dedup');

  /** This process's temporary folder, its own so that what LanceDB leaves in it is seen. */
  let processTmp: string;
  const outerTmp = process.env.TMPDIR;

  beforeAll(async () => {
    processTmp = mkdtempSync(join(tmpdir(), 'datacreek-vectors-tmp-'));
    process.env.TMPDIR = processTmp;
    dir = mkdtempSync(join(tmpdir(), 'datacreek-vectors-'));
    store = await openVectorStore(dir);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(processTmp, { recursive: true, force: true });
    if (outerTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outerTmp;
  });

  it('writes again to a table that another process dropped and made anew (a dataset deleted, then rebuilt)', async () => {
    const shared = vectorTableName('dropped elsewhere', 'chunks');
    await store.upsert(shared, rows.slice(0, 2));
    const elsewhere = await openVectorStore(dir);
    try {
      await elsewhere.dropTable(shared);
    } finally {
      await elsewhere.close();
    }
    await store.upsert(shared, rows.slice(2));
    expect(await store.count(shared)).toBe(2);
    expect((await store.search(shared, vectors[2], 1))[0]).toMatchObject({ id: 'r2' });
    await store.dropTable(shared);
  });

  it('reads, searches and maintains a table that another process dropped and made anew, through its old handle', async () => {
    const shared = vectorTableName('recreated elsewhere', 'records');
    await store.upsert(shared, rows.slice(0, 2));
    expect(await store.count(shared)).toBe(2);
    const elsewhere = await openVectorStore(dir);
    try {
      await elsewhere.dropTable(shared);
      await elsewhere.upsert(shared, rows.slice(2, 4));
    } finally {
      await elsewhere.close();
    }
    // Every path that opens the table, not only writes: acceptance reads vectors by id, searches, counts, maintains.
    expect([...(await store.readVectorsByIds(shared, ['r2', 'r3', 'r0'])).keys()].sort()).toEqual(['r2', 'r3']);
    expect(await store.count(shared)).toBe(2);
    expect((await store.search(shared, vectors[3], 1))[0].id).toBe('r3');
    await expect(store.maintain(shared, { indexAtRows: 1_000_000 })).resolves.toMatchObject({ rows: 2 });
    await store.dropTable(shared);
  });

  it('treats a table another process dropped as empty through its old handle (a dataset deleted, then built again)', async () => {
    const shared = vectorTableName('dropped under a handle', 'records');
    await store.upsert(shared, rows.slice(0, 2));
    expect(await store.count(shared)).toBe(2);
    const elsewhere = await openVectorStore(dir);
    try {
      await elsewhere.dropTable(shared);
    } finally {
      await elsewhere.close();
    }
    expect(await store.search(shared, vectors[0], 1)).toEqual([]);
    expect(await store.searchMany(shared, [vectors[0]], 1)).toEqual([[]]);
    expect((await store.readVectorsByIds(shared, ['r0'])).size).toBe(0);
    expect(await store.count(shared)).toBe(0);
  });

  it('upserts idempotently: the same ids twice leave the same count, with the latest values', async () => {
    await store.upsert(table, rows);
    await store.upsert(
      table,
      rows.map((row) => ({ ...row, tag: 'updated' })),
    );
    expect(await store.count(table)).toBe(4);
    const [top] = await store.search(table, vectors[2], 1);
    expect(top).toMatchObject({ id: 'r2', tag: 'updated' });
  });

  it('appends without looking ids up: a new table from the first rows, and an id appended twice is held twice', async () => {
    const appended = vectorTableName('Team A/dataset #1', 'appended');
    await store.append(appended, rows.slice(0, 2));
    await store.append(appended, rows.slice(2));
    expect(await store.count(appended)).toBe(4);
    const [top] = await store.search(appended, vectors[3], 1);
    expect(top).toMatchObject({ id: 'r3', tag: 'odd' });

    // An append does not look for the id: a repeated one is a second row (why a retrying writer upserts instead).
    await store.append(appended, rows.slice(0, 1));
    expect(await store.count(appended)).toBe(5);
    // An upsert over it updates both rows in place: the copy stays, with the new values (the same id and vector).
    await store.upsert(appended, [{ ...rows[0], tag: 'updated' }]);
    expect((await store.readVectors(appended)).ids.filter((id) => id === 'r0')).toHaveLength(2);
    const hits = await store.search(appended, vectors[0], 2);
    expect(hits.map((hit) => [hit.id, hit.tag])).toEqual([
      ['r0', 'updated'],
      ['r0', 'updated'],
    ]);
    await store.dropTable(appended);
  });

  it('searches by cosine similarity, with filters and in batches', async () => {
    const results = await store.search(table, vectors[0], 2);
    expect(results.map((r) => r.id)).toEqual(['r0', 'r3']);
    expect(results[0].score).toBeCloseTo(1, 5);
    expect(results[1].score).toBeLessThan(1);
    expect(results[0]).not.toHaveProperty('vector');
    expect((await store.search(table, vectors[0], 5, 'round >= 2')).map((r) => r.id)).toEqual(['r3', 'r2']);
    const many = await store.searchMany(table, vectors, 1);
    expect(many.map((r) => r[0].id)).toEqual(['r0', 'r1', 'r2', 'r3']);
  });

  it('reads every id and vector back', async () => {
    const stored = await store.readVectors(table);
    expect(stored.dims).toBe(384);
    const at = stored.ids.indexOf('r1');
    expect(Array.from(stored.vectors.subarray(at * 384, at * 384 + 4))).toEqual(vectors[1].slice(0, 4).map((x) => Math.fround(x)));
  });

  it('reads the vectors of given ids, leaving out ids it does not hold', async () => {
    await store.upsert(table, rows);
    const found = await store.readVectorsByIds(table, ['r1', 'r3', 'nope']);
    expect([...found.keys()].sort()).toEqual(['r1', 'r3']);
    expect(Array.from(found.get('r3')!)).toEqual(Array.from(Float32Array.from(vectors[3])));
    expect((await store.readVectorsByIds('never_written', ['r1'])).size).toBe(0);
  });

  it('builds the IVF index once the table is large enough, trains it again once the table has four times its rows, and still finds rows added after it', async () => {
    const big = vectorTableName('indexed', 'records');
    const random = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const next = random(7);
    const many = Array.from({ length: 2500 }, (_, i) => ({ id: `m${i}`, vector: Array.from({ length: 16 }, next), text: `row ${i}` }));
    expect(await store.maintain(big, { indexAtRows: 1000 })).toEqual({ rows: 0, indexed: false, indexPartitions: 0 });
    await store.upsert(big, many.slice(0, 600));
    expect(await store.maintain(big, { indexAtRows: 1000 })).toEqual({ rows: 600, indexed: false, indexPartitions: 0 });
    // A table only read by id (the candidates') is compacted without a vector index, however large.
    expect(await store.maintain(big, { indexAtRows: 500, vectorIndex: false })).toEqual({ rows: 600, indexed: false, indexPartitions: 0 });
    expect(await store.maintain(big, { indexAtRows: 500 })).toEqual({ rows: 600, indexed: true, indexPartitions: 24 });
    // Rows added later join the trained partitions (2,000 rows: √2000 ≈ 45 < 2 × 24); at 2,500 (√2500 = 50) it is trained anew.
    await store.upsert(big, many.slice(600, 2000));
    expect(await store.maintain(big, { indexAtRows: 500 })).toEqual({ rows: 2000, indexed: true, indexPartitions: 24 });
    await store.upsert(big, many.slice(2000));
    expect(await store.maintain(big, { indexAtRows: 500 })).toEqual({ rows: 2500, indexed: true, indexPartitions: 50 });
    // LanceDB's index build spills shuffle files into a temporary folder it never removes: none may be left here.
    const spilled = readdirSync(processTmp, { recursive: true }).filter((name) => String(name).includes('shuffle_'));
    expect(spilled).toEqual([]);
    // Not yet in the index: the search reads the unindexed rows too.
    const late = { id: 'late', vector: Array.from({ length: 16 }, next), text: 'added after the index' };
    await store.upsert(big, [late]);
    expect((await store.search(big, late.vector, 1))[0]).toMatchObject({ id: 'late' });
    expect((await store.search(big, many[123].vector, 1))[0]).toMatchObject({ id: 'm123' });
    await store.dropTable(big);
  });

  it("counts what an open store's LanceDB caches hold, and forgets a closed store's", async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'datacreek-vectors-cache-'));
    const before = vectorCacheBytes();
    const other = await openVectorStore(otherDir, { cacheMb: 8 });
    try {
      await other.upsert('cached', rows);
      await other.search('cached', vectors[0], 2);
      const held = vectorCacheBytes() - before;
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(8 * 2 ** 20);
    } finally {
      await other.close();
      rmSync(otherDir, { recursive: true, force: true });
    }
    expect(vectorCacheBytes()).toBe(before);
  });

  it('treats a missing table as empty', async () => {
    const missing = vectorTableName('nobody', 'chunks');
    expect(await store.count(missing)).toBe(0);
    expect(await store.search(missing, vectors[0], 3)).toEqual([]);
    expect((await store.readVectors(missing)).ids).toEqual([]);
  });

  it('explains mismatched vectors and columns instead of writing them', async () => {
    await expect(store.upsert(table, [{ id: 'short', vector: [1, 2, 3], text: 'x' }])).rejects.toThrow(/3-dim vector but table .* holds 384-dim/);
    await expect(store.upsert(table, [{ id: 'extra', vector: vectors[0], text: 'x', surprise: 1 }])).rejects.toThrow(/column "surprise"/);
    await expect(store.upsert('bad name!', rows)).rejects.toThrow(/vectorTableName/);
  });

  it('lists and drops a dataset’s tables by prefix, leaving other datasets alone', async () => {
    const other = vectorTableName('Team B', 'dedup');
    await store.upsert(vectorTableName('Team A/dataset #1', 'chunks'), rows.slice(0, 1));
    await store.upsert(other, rows.slice(0, 1));
    const dropped = await dropDatasetTables(store, 'Team A/dataset #1');
    expect(dropped).toHaveLength(2);
    expect(await store.listTables()).toEqual([other]);
    await store.dropTable(other);
    await store.dropTable(other);
    expect(await store.listTables()).toEqual([]);
  });

  it('drops the chunk and record tables ingest and build write, sparing a dataset whose id starts the same', async () => {
    await store.upsert(chunkTableName('news'), rows.slice(0, 1));
    await store.upsert(recordTableName('news'), rows.slice(0, 1));
    await store.upsert(recordTableName('news-2'), rows.slice(0, 1));
    expect((await dropDatasetTables(store, 'news')).sort()).toEqual([chunkTableName('news'), recordTableName('news')]);
    expect(await store.listTables()).toEqual([recordTableName('news-2')]);
    await store.dropTable(recordTableName('news-2'));
  });
});

describe('vectorTableName', () => {
  it('makes valid, readable, distinct names from arbitrary dataset ids', () => {
    const a = vectorTableName('My Data/v1', 'dedup');
    const b = vectorTableName('my-data v1', 'dedup');
    expect(a).toMatch(/^ds_my-data-v1_[0-9a-f]{8}__dedup$/);
    expect(b).toMatch(/^ds_my-data-v1_[0-9a-f]{8}__dedup$/);
    expect(a).not.toBe(b);
    expect(vectorTableName('数据集', 'chunks')).toMatch(/^ds_x_[0-9a-f]{8}__chunks$/);
    expect(() => vectorTableName('x', 'Bad Purpose')).toThrow(/short lowercase word/);
  });
});
