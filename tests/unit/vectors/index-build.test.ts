import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVectorIndexInChild } from '../../../src/infra/vectors/index-build';

describe('the vector index build in a child process', () => {
  let processTmp: string;
  const outerTmp = process.env.TMPDIR;
  beforeAll(() => {
    processTmp = mkdtempSync(join(tmpdir(), 'datacreek-index-test-'));
    process.env.TMPDIR = processTmp;
  });
  afterAll(() => {
    rmSync(processTmp, { recursive: true, force: true });
    if (outerTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outerTmp;
  });

  it('fails with a message naming the table, and leaves no scratch folder', async () => {
    const database = join(processTmp, 'lancedb');
    await expect(buildVectorIndexInChild({ uri: database, table: 'no_such_table', numPartitions: 4 })).rejects.toThrow(
      /Building the vector index of LanceDB table "no_such_table" failed \(exit 1\): .*no_such_table/,
    );
    expect(readdirSync(processTmp).filter((name) => name.startsWith('datacreek-index-'))).toEqual([]);
  });
});
