// Maintains one vector table in a process of its own (see table-maintenance.ts for why). Reads one JSON line from
// stdin: { uri, storageOptions?, table, indexAtRows, vectorIndex }; writes {"rows": n, "indexed": bool} to stdout and exits 0
// once everything is committed. Stdin staying open is the parent's lifeline: when it closes before the work is
// done, the parent is gone and so is this work.
//
// Its scratch folder, `datacreek-index-<pid>-XXXXXX` in the system temp folder, becomes TMPDIR before LanceDB is
// loaded, so LanceDB's spill files land there. The parent removes it once this process has exited; if the parent
// died first, this process removes it on its way out.
import { mkdtempSync, rmSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scratch = mkdtempSync(join(tmpdir(), `datacreek-index-${process.pid}-`));
// Node's process.env writes the process environment itself, which LanceDB's native code reads for its temp folder.
process.env.TMPDIR = scratch;
const parent = process.ppid;
let done = false;
let stdinClosed = false;

/** Sleeps the thread without the event loop (an exit handler cannot wait any other way). */
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// The parent is gone: nobody else will remove the folder while this process still exists. LanceDB's threads may
// still add spill files while the process exits, so a removal can fail on a file added midway; once the folder
// itself is gone they cannot make it again. Retried for up to 10 s, then the next maintenance's sweep takes it.
// The parent is known gone when stdin closed early, or when this process was adopted by another (a new ppid).
process.on('exit', () => {
  if (!stdinClosed && process.ppid === parent) return;
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      rmSync(scratch, { recursive: true, force: true });
      return;
    } catch {
      sleepSync(50);
    }
  }
});
process.on('uncaughtException', () => process.exit(4));
process.stderr.on('error', () => {});

const lancedb = await import('@lancedb/lancedb');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (piece) => {
  if (input.includes('\n')) return;
  input += piece;
  if (input.includes('\n'))
    maintain(JSON.parse(input.slice(0, input.indexOf('\n')))).then(
      (result) => {
        done = true;
        process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
      },
      (error) => {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
});
process.stdin.on('end', () => {
  stdinClosed = true;
  if (!done) process.exit(3);
});

/** IVF partitions for a table of this many rows: about √rows, so a search probes a few hundred rows per partition. */
const partitionsFor = (rows) => Math.max(1, Math.round(Math.sqrt(rows)));
/** The index's name records the partitions it was trained with; an index from before had none (0: retrain once). */
const trainedPartitions = (name) => Number(/_p(\d+)$/.exec(name)?.[1] ?? 0);

async function maintain({ uri, storageOptions, table, indexAtRows, vectorIndex: wantVectorIndex = true }) {
  const started = Date.now();
  const db = await lancedb.connect(uri, storageOptions ? { storageOptions } : {});
  const names = await db.tableNames();
  if (!names.includes(table)) throw new Error(`LanceDB table "${table}" does not exist at ${uri}`);
  const target = await db.openTable(table);
  const rows = await target.countRows();
  const indices = await target.listIndices();
  let vectorIndex = indices.find((index) => index.columns.includes('vector'));
  if (rows >= indexAtRows) {
    // A B-tree on id serves the id lookups of merges (upsert), deletes and reads by id on a large table.
    if (!indices.some((index) => index.columns.includes('id'))) await target.createIndex('id', { config: lancedb.Index.btree() });
    // IVF over full vectors: training is one k-means (an HNSW graph took minutes at 20k rows on a busy 2-core
    // machine; IVF-PQ was slower to build and to search here), and the scores are exact cosines, so a threshold
    // means the same with or without the index. New rows join the trained partitions (optimize below), which grow
    // with the table: once it has four times the rows the index was trained on, it is trained again.
    const partitions = partitionsFor(rows);
    if (wantVectorIndex && (!vectorIndex || partitions >= 2 * trainedPartitions(vectorIndex.name))) {
      const name = `vector_ivf_p${partitions}`;
      await target.createIndex('vector', { config: lancedb.Index.ivfFlat({ distanceType: 'cosine', numPartitions: partitions }), name, replace: true });
      if (vectorIndex && vectorIndex.name !== name) await target.dropIndex(vectorIndex.name);
      vectorIndex = { name };
    }
  }
  // Compaction and index catch-up (new rows join the index, so the unindexed tail every search scans stays short);
  // old versions go after a minute (readers hold their own snapshot meanwhile).
  await target.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
  target.close();
  db.close();
  await flushLocalTable(uri, table, started);
  return { rows, indexed: Boolean(vectorIndex), indexPartitions: vectorIndex ? trainedPartitions(vectorIndex.name) : 0 };
}

/**
 * Puts what this maintenance wrote under a local table folder on disk before it reports done. LanceDB does not sync
 * its files, and a compaction or index build writes tens of MB at 100k rows; left to the kernel's writeback, that
 * data went out during the next PostgreSQL commits on the same disk instead, stalling acceptance's transaction for
 * 0.3-1 s at a time (about one batch in ten). Flushed here, the cost stays with maintenance, which no build step
 * waits for. Asynchronous, one file at a time, so a parent's death (stdin closing) still ends this process at once.
 * Object stores need none of this.
 */
async function flushLocalTable(uri, table, since) {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith('file://')) return;
  // A file or folder can vanish between listing and opening: another worker's maintenance removing old versions.
  const unlessGone = (error) => {
    if (error?.code !== 'ENOENT') throw error;
  };
  const flush = async (path) => {
    const info = await stat(path).catch(unlessGone);
    // Written by this maintenance (a second of slack for coarse timestamps); older files were flushed before.
    if (!info || info.mtimeMs < since - 1000) return;
    const handle = await open(path, 'r').catch(unlessGone);
    if (!handle) return;
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };
  const walk = async (dir) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(unlessGone);
    for (const entry of entries ?? []) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) await flush(path);
    }
  };
  await walk(join(uri.replace(/^file:\/\//, ''), `${table}.lance`));
}
