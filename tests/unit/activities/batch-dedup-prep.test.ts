import { describe, expect, it } from 'vitest';
import { dedupKeys, prepareDedup } from '../../../src/activities/batch-dedup-prep';
import type { BatchRun } from '../../../src/activities/batch-run';
import { contentHash, signature, signatureToBuffer } from '../../../src/domain/dedup';
import { recordText, type DatasetRecord, type RecordContent } from '../../../src/domain/records/types';

const qa = (question: string, answer: string): RecordContent => ({ type: 'qa', question, answer });

/** A batch with semantic dedup off: prepareDedup then needs nothing of the run beyond its settings. */
const runWithoutEmbeddings = { settings: { dedup: { semantic: { enabled: false } } } } as unknown as BatchRun;

describe('dedupKeys', () => {
  it('is the content hash and the MinHash signature of the record text, as acceptance reads them', () => {
    const question = 'Why do glaciers move?';
    const answer = 'Ice deforms under its own weight and slides on meltwater.';
    const content = qa(question, answer);
    const keys = dedupKeys(content);
    expect(keys.contentHash).toBe(contentHash(content));
    expect(keys.minhash.equals(signatureToBuffer(signature(recordText(content))))).toBe(true);
    // The same text under another key order is the same record.
    expect(dedupKeys({ answer, question, type: 'qa' })).toEqual(keys);
  });
});

describe('prepareDedup', () => {
  const kept: DatasetRecord[] = [
    { id: 'b/0.0', content: qa('What is a moraine?', 'Rock a glacier left behind.') },
    { id: 'b/0.1', content: qa('What is a cirque?', 'A bowl a glacier carved. [PHONE]') },
    { id: 'b/1.0', content: qa('What is firn?', 'Snow on its way to becoming ice.') },
  ];

  it('writes no row for a record generated with its keys and left unchanged', async () => {
    const { rows } = await prepareDedup(runWithoutEmbeddings, kept, new Set(), new Set());
    expect(rows).toEqual([]);
  });

  it('rewrites content and keys of a record a filter changed, and only the keys of one stored without them', async () => {
    const { rows } = await prepareDedup(runWithoutEmbeddings, kept, new Set(['b/0.1']), new Set(['b/1.0']));
    expect(rows.map((r) => r.id)).toEqual(['b/0.1', 'b/1.0']);
    const [changed, unkeyed] = rows;
    expect(changed.content).toEqual(kept[1].content);
    expect(changed.contentHash).toBe(dedupKeys(kept[1].content).contentHash);
    expect(changed.minhash.equals(dedupKeys(kept[1].content).minhash)).toBe(true);
    expect(unkeyed.content).toBeUndefined();
    expect(unkeyed.contentHash).toBe(dedupKeys(kept[2].content).contentHash);
  });
});
