// Builds one table's IVF vector index, in a process of its own (see index-build.ts for why). Reads one JSON line
// from stdin: { uri, storageOptions?, table, numPartitions }. Exits 0 once the index is committed. Stdin staying
// open is the parent's lifeline: when it closes before the build is done, the parent is gone and so is this build.
// Either way the scratch folder it was given as TMPDIR goes with it.
import { rmSync } from 'node:fs';
import * as lancedb from '@lancedb/lancedb';

const scratch = process.env.TMPDIR;
let done = false;

// Every way out removes the scratch folder, including a crash or a write to the dead parent's stderr.
process.on('exit', () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});
process.on('uncaughtException', () => process.exit(4));
process.stderr.on('error', () => {});

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (piece) => {
  if (input.includes('\n')) return;
  input += piece;
  if (input.includes('\n'))
    build(JSON.parse(input.slice(0, input.indexOf('\n')))).then(
      () => {
        done = true;
        process.exit(0);
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

async function build({ uri, storageOptions, table, numPartitions }) {
  const db = await lancedb.connect(uri, storageOptions ? { storageOptions } : {});
  const target = await db.openTable(table);
  await target.createIndex('vector', { config: lancedb.Index.ivfFlat({ distanceType: 'cosine', numPartitions }), replace: true });
  target.close();
  db.close();
}
