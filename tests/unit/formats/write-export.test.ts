import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatasetRecord } from '../../../src/domain/records/types';
import { ExportFormatError, importDataset, importedToDatasetRecord, splitRecords, validateExport, writeExport } from '../../../src/domain/formats/index';
import { fixtureInput } from './fixture-files';

const createdDirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'datacreek-export-'));
  createdDirs.push(dir);
  return dir;
};
afterAll(() => createdDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
/** Every entry under dir, recursively, relative to it. */
const listTree = (dir: string, prefix = ''): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listTree(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );

async function sharegptRecords(): Promise<DatasetRecord[]> {
  const result = await importDataset(fixtureInput('sharegpt_dummy_conversation.json'));
  return result.records.map((r) => importedToDatasetRecord(r, 'dummy'));
}

describe('writeExport', () => {
  it('writes one file per split, sized as splitRecords decides, and leaves no temp files', async () => {
    const records = await sharegptRecords();
    const outDir = freshDir();
    const result = await writeExport(records, { format: 'openai-chat', outDir, baseName: 'chat', splits: { seed: 5 } });
    expect(result.files.map((f) => [f.split, f.records])).toEqual([
      ['train', 400],
      ['validation', 50],
      ['test', 50],
    ]);
    expect(listTree(outDir).sort()).toEqual(['chat.test.jsonl', 'chat.train.jsonl', 'chat.validation.jsonl']);
    const expected = splitRecords(records, { seed: 5 });
    for (const file of result.files) {
      expect(statSync(file.path).size).toBe(file.bytes);
      const text = readFileSync(file.path, 'utf8');
      expect(text.trim().split('\n')).toHaveLength(file.rows);
      expect((await validateExport({ path: file.path }, 'openai-chat')).ok).toBe(true);
      const firstId = expected[file.split as 'train'][0].id;
      const firstRecord = records.find((r) => r.id === firstId)!;
      if (firstRecord.content.type !== 'conversation') throw new Error('expected conversation');
      expect(JSON.parse(text.split('\n')[0]).messages).toEqual(firstRecord.content.messages);
    }
  });

  it('writes one file without splits, and counts KTO rows apart from records', async () => {
    const outDir = freshDir();
    const prefs: DatasetRecord[] = [1, 2, 3].map((i) => ({
      id: `p${i}`,
      content: { type: 'preference', prompt: `Q${i}`, chosen: `good ${i}`, rejected: `bad ${i}` },
    }));
    const result = await writeExport(prefs, { format: 'kto', outDir, baseName: 'prefs' });
    expect(result.files).toEqual([{ split: 'all', path: join(outDir, 'prefs.jsonl'), records: 3, rows: 6, bytes: expect.any(Number) }]);
    expect((await validateExport({ path: result.files[0].path }, 'kto')).ok).toBe(true);
  });

  it('leaves nothing behind when a record cannot be written half-way through', async () => {
    const outDir = freshDir();
    const records: DatasetRecord[] = [
      ...Array.from({ length: 50 }, (_, i): DatasetRecord => ({ id: `ok-${i}`, content: { type: 'qa', question: `Q${i}`, answer: `A${i}` } })),
      {
        id: 'unalternating',
        content: {
          type: 'conversation',
          messages: [
            { role: 'user', content: 'a' },
            { role: 'user', content: 'b' },
            { role: 'assistant', content: 'c' },
          ],
        },
      },
    ];
    await expect(writeExport(records, { format: 'alpaca', outDir, baseName: 'broken', splits: true })).rejects.toThrow(/record "unalternating"/);
    expect(listTree(outDir)).toEqual([]);
    await expect(writeExport(records.slice(0, 2), { format: 'dpo', outDir, baseName: 'x' })).rejects.toBeInstanceOf(ExportFormatError);
    expect(listTree(outDir)).toEqual([]);
  });

  it('refuses a baseName that would leave outDir', async () => {
    const one: DatasetRecord[] = [{ id: 'a', content: { type: 'qa', question: 'Q', answer: 'A' } }];
    await expect(writeExport(one, { format: 'jsonl', outDir: freshDir(), baseName: '../escape' })).rejects.toThrow(
      /baseName "..\/escape" is not a plain file name/,
    );
  });

  it('replaces an earlier export of the same name', async () => {
    const outDir = freshDir();
    const one: DatasetRecord[] = [{ id: 'a', content: { type: 'qa', question: 'Q', answer: 'A' } }];
    await writeExport(one, { format: 'csv', outDir, baseName: 'same' });
    const two = [...one, { id: 'b', content: { type: 'qa' as const, question: 'Q2', answer: 'A2' } }];
    const result = await writeExport(two, { format: 'csv', outDir, baseName: 'same' });
    expect(result.files[0].rows).toBe(2);
    expect(listTree(outDir)).toEqual(['same.csv']);
    expect((await validateExport({ path: join(outDir, 'same.csv') }, 'csv')).ok).toBe(true);
  });
});

describe('writeExport hf', () => {
  it('writes Parquet splits that read back with hyparquet, and a dataset card declaring them', async () => {
    const records = await sharegptRecords();
    const outDir = freshDir();
    const result = await writeExport(records, { format: 'hf', outDir, baseName: 'dummy-chat', splits: true, systemPrompt: 'Be brief.' });
    expect(listTree(outDir).sort()).toEqual([
      'dummy-chat/README.md',
      'dummy-chat/data/test-00000-of-00001.parquet',
      'dummy-chat/data/train-00000-of-00001.parquet',
      'dummy-chat/data/validation-00000-of-00001.parquet',
    ]);
    const byId = new Map(records.map((r) => [r.id, r]));
    let rowsRead = 0;
    for (const file of result.files) {
      const rows = await parquetReadObjects({ file: await asyncBufferFromFile(file.path) });
      expect(rows).toHaveLength(file.records);
      rowsRead += rows.length;
      for (const row of rows) {
        const record = byId.get(row.id as string)!;
        if (record.content.type !== 'conversation') throw new Error('expected conversation');
        expect(row.messages).toEqual([{ role: 'system', content: 'Be brief.' }, ...record.content.messages]);
      }
    }
    expect(rowsRead).toBe(500);

    const card = readFileSync(result.cardPath!, 'utf8');
    const frontMatter = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]);
    expect(frontMatter.configs[0].data_files).toEqual([
      { split: 'train', path: 'data/train-*' },
      { split: 'validation', path: 'data/validation-*' },
      { split: 'test', path: 'data/test-*' },
    ]);
    expect(frontMatter.dataset_info.features[1]).toEqual({
      name: 'messages',
      list: [
        { name: 'role', dtype: 'string' },
        { name: 'content', dtype: 'string' },
      ],
    });
    expect(card).toContain('500 records (conversation 500)');
    expect(await validateExport({ path: result.directory! }, 'hf')).toEqual({ ok: true, problems: [], records: 500 });
  });

  it('writes preference pairs as prompt/chosen/rejected columns and refuses mixing them with chat records', async () => {
    const outDir = freshDir();
    const prefs: DatasetRecord[] = Array.from({ length: 10 }, (_, i) => ({
      id: `p${i}`,
      content: { type: 'preference', prompt: `Q${i}`, chosen: `good ${i}`, rejected: `bad ${i}` },
    }));
    const result = await writeExport(prefs, { format: 'hf', outDir, baseName: 'prefs' });
    expect(result.files.map((f) => f.split)).toEqual(['all']);
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(join(outDir, 'prefs/data/train-00000-of-00001.parquet')) });
    expect(rows[3]).toEqual({ id: 'p3', prompt: 'Q3', chosen: 'good 3', rejected: 'bad 3' });

    const mixed = [...prefs, { id: 'q', content: { type: 'qa' as const, question: 'Q', answer: 'A' } }];
    await expect(writeExport(mixed, { format: 'hf', outDir, baseName: 'mixed' })).rejects.toThrow(/one schema/);
    expect(listTree(outDir).filter((p) => !p.startsWith('prefs/'))).toEqual([]);
  });

  it('replaces an existing dataset directory whole', async () => {
    const outDir = freshDir();
    const qa = (n: number): DatasetRecord[] =>
      Array.from({ length: n }, (_, i) => ({ id: `q${i}`, content: { type: 'qa', question: `Q${i}`, answer: `A${i}` } }));
    await writeExport(qa(20), { format: 'hf', outDir, baseName: 'ds', splits: true });
    await writeExport(qa(5), { format: 'hf', outDir, baseName: 'ds' });
    expect(listTree(outDir).sort()).toEqual(['ds/README.md', 'ds/data/train-00000-of-00001.parquet']);
  });
});
