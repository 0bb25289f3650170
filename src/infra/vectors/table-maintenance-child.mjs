// Maintains one vector table in a process of its own (see table-maintenance.ts for why). Reads one JSON line from
// stdin: { uri, storageOptions?, table, indexAtRows, vectorIndex }; writes {"rows": n, "indexed": bool} to stdout and exits 0
// once everything is committed. Stdin staying open is the parent's lifeline: when it closes before the work is
// done, the parent is gone and so is this work. Either way the scratch folder it was given as TMPDIR goes with it.
import { rmSync } from 'node:fs';
import * as lancedb from '@lancedb/lancedb';

const scratch = process.env.TMPDIR;
let done = false;

// Every way out removes the scratch folder, including a crash or a write to the dead parent's stderr.
// Retried: LanceDB's threads may still be adding spill files while the process exits.
process.on('exit', () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
});
process.on('uncaughtException', () => process.exit(4));
process.stderr.on('error', () => {});

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
  if (!done) process.exit(3);
});

/** IVF partitions for a table of this many rows: about √rows, so a search probes a few hundred rows per partition. */
const partitionsFor = (rows) => Math.max(1, Math.round(Math.sqrt(rows)));
/** The index's name records the partitions it was trained with; an index from before had none (0: retrain once). */
const trainedPartitions = (name) => Number(/_p(\d+)$/.exec(name)?.[1] ?? 0);

async function maintain({ uri, storageOptions, table, indexAtRows, vectorIndex: wantVectorIndex = true }) {
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
  return { rows, indexed: Boolean(vectorIndex), indexPartitions: vectorIndex ? trainedPartitions(vectorIndex.name) : 0 };
}
