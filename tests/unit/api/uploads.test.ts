import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { safeUploadName, saveUploads } from '../../../src/api/uploads';

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

  it('writes each file under <data_dir>/uploads/<user>/<uuid>/, keeping same-named files apart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dc-uploads-'));
    const saved = await saveUploads(dataDir, 'usr_1', [new File(['one'], 'notes.md'), new File(['two'], '../notes.md')]);
    expect(saved.folder).toMatch(new RegExp(`^${dataDir}/uploads/usr_1/[0-9a-f-]{36}$`));
    expect(saved.paths.map((p) => path.basename(p))).toEqual(['notes.md', 'notes (2).md']);
    expect(saved.paths.map((p) => readFileSync(p, 'utf8'))).toEqual(['one', 'two']);
    await saved.discard();
    expect(() => readFileSync(saved.paths[0])).toThrow();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
