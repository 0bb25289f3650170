import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maintainTableInChild } from '../../../src/infra/vectors/table-maintenance';

describe('vector table maintenance in a child process', () => {
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
    await expect(maintainTableInChild({ uri: database, table: 'no_such_table', indexAtRows: 4, vectorIndex: true })).rejects.toThrow(
      /Maintaining LanceDB table "no_such_table" \(indexes, compaction\) failed \(exit 1\): .*no_such_table/,
    );
    expect(readdirSync(processTmp).filter((name) => name.startsWith('datacreek-index-'))).toEqual([]);
  });
});
