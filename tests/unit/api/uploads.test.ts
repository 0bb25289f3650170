import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertOwnUpload, safeUploadName, saveUploads } from '../../../src/api/uploads';
import { LocalObjectStore, readObject } from '../../../src/infra/storage';

describe('uploads', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\win.ini', 'win.ini'],
    ['.bashrc', 'bashrc'],
    ['report 2024 (final).pdf', 'report 2024 (final).pdf'],
    ['a<b>:c|d?.txt', 'a_b__c_d_.txt'],
    ['..', 'upload'],
  ])('names %s as %s', (given, expected) => {
    expect(safeUploadName(given)).toBe(expected);
  });

  it('puts each file at uploads/<user>/<uuid>/<name> in the object store, keeping same-named files apart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dc-uploads-'));
    const store = new LocalObjectStore(dir);
    const saved = await saveUploads(store, 'usr_1', [new File(['one'], 'notes.md'), new File(['two'], '../notes.md')]);
    expect(saved.keys).toHaveLength(2);
    expect(saved.keys[0]).toMatch(/^uploads\/usr_1\/[0-9a-f-]{36}\/notes\.md$/);
    expect(saved.keys[1]).toBe(saved.keys[0].replace('notes.md', 'notes (2).md'));
    expect(await Promise.all(saved.keys.map(async (k) => (await readObject(store, k)).toString()))).toEqual(['one', 'two']);
    await saved.discard();
    expect(await store.list('uploads/')).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets an ingest name only the caller's own uploads", () => {
    expect(() => assertOwnUpload('uploads/usr_1/abc/notes.md', 'usr_1')).not.toThrow();
    expect(() => assertOwnUpload('uploads/usr_2/abc/notes.md', 'usr_1')).toThrow(/not one of your uploads/);
    expect(() => assertOwnUpload('uploads/usr_1/../usr_2/abc/notes.md', 'usr_1')).toThrow(/not one of your uploads/);
    expect(() => assertOwnUpload('exports/ds/x.jsonl', 'usr_1')).toThrow(/not one of your uploads/);
  });
});
