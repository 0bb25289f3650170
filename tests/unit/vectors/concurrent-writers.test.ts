// Several workers write to the same LanceDB table at once: every machine's batches land in one dataset's tables.
// Each store here has its own LanceDB connection, as each worker process does, so nothing serializes their writes
// but LanceDB itself. Every row any of them wrote must be there afterwards, including when the table is created by
// those very writes (the first batches of a build, processed on several workers at once).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVectorStore, type VectorStore } from '../../../src/infra/vectors/store';

const WRITERS = 4;
const ROWS_PER_WRITE = 8;
const TRIALS = 12;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'datacreek-concurrent-writers-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function rowsOf(writer: number, write: number) {
  return Array.from({ length: ROWS_PER_WRITE }, (_, i) => ({
    id: `w${writer}-${write}-${i}`,
    vector: Float32Array.from({ length: 16 }, (_, d) => Math.sin(writer * 31 + write * 7 + i * 3 + d)),
    text: `row ${i} of write ${write} by writer ${writer}`,
  }));
}

describe('vector store written by several workers at once', () => {
  it('keeps every row when several connections create and fill a new table at the same moment', async () => {
    const lost: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const stores: VectorStore[] = await Promise.all(Array.from({ length: WRITERS }, () => openVectorStore(dir)));
      const table = `race_${trial}`;
      await Promise.all(stores.map((store, writer) => store.upsert(table, rowsOf(writer, 0))));
      const count = await stores[0].count(table);
      if (count !== WRITERS * ROWS_PER_WRITE) lost.push(`trial ${trial}: ${count} of ${WRITERS * ROWS_PER_WRITE} rows`);
      await Promise.all(stores.map((store) => store.close()));
    }
    expect(lost).toEqual([]);
  });

  it('keeps every row of many concurrent merges into an existing table, each readable by id from another connection', async () => {
    const stores: VectorStore[] = await Promise.all(Array.from({ length: WRITERS }, () => openVectorStore(dir)));
    const table = 'merges';
    await Promise.all(
      stores.map(async (store, writer) => {
        for (let write = 0; write < 5; write++) await store.upsert(table, rowsOf(writer, write));
      }),
    );
    const ids = stores.flatMap((_, writer) => Array.from({ length: 5 }, (_, write) => rowsOf(writer, write).map((r) => r.id)).flat());
    const reader = await openVectorStore(dir);
    const found = await reader.readVectorsByIds(table, ids);
    expect(ids.filter((id) => !found.has(id))).toEqual([]);
    expect(await reader.count(table)).toBe(ids.length);
    await Promise.all([...stores, reader].map((store) => store.close()));
  });
});
