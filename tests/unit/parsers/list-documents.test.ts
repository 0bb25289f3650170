import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentError, listDocuments } from '../../../src/parsers';

describe('listDocuments', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'datacreek-list-'));
    await mkdir(join(root, 'reports', '2024'), { recursive: true });
    await mkdir(join(root, 'drafts'));
    await mkdir(join(root, '.git'));
    await writeFile(join(root, 'reports', '2024', 'q1.pdf'), '%PDF-1.4 fake');
    await writeFile(join(root, 'reports', 'summary.docx'), 'PK');
    await writeFile(join(root, 'notes.md'), '# Notes');
    await writeFile(join(root, 'legacy.doc'), 'old');
    await writeFile(join(root, 'empty.txt'), '');
    await writeFile(join(root, 'big.html'), 'x'.repeat(3000));
    await writeFile(join(root, 'drafts', 'idea.txt'), 'maybe');
    await writeFile(join(root, '.git', 'HEAD'), 'ref: refs/heads/main');
    await writeFile(join(root, '.env'), 'SECRET=1');
    await symlink(join(root, 'reports'), join(root, 'reports-link'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('lists every file with relative path, size and format, or a skip reason', async () => {
    const files = await listDocuments(root, { maxFileBytes: 2048 });
    expect(files.map((file) => file.relativePath)).toEqual([
      'big.html',
      'drafts/idea.txt',
      'empty.txt',
      'legacy.doc',
      'notes.md',
      'reports/2024/q1.pdf',
      'reports/summary.docx',
    ]);
    const byPath = Object.fromEntries(files.map((file) => [file.relativePath, file]));
    expect(byPath['reports/2024/q1.pdf']).toMatchObject({ format: 'pdf', size: 13, path: join(root, 'reports', '2024', 'q1.pdf') });
    expect(byPath['reports/2024/q1.pdf'].skipped).toBeUndefined();
    expect(byPath['notes.md'].format).toBe('markdown');
    expect(byPath['legacy.doc'].skipped).toMatchObject({ code: 'unsupported_format' });
    expect(byPath['legacy.doc'].skipped?.reason).toContain('--convert-to docx');
    expect(byPath['empty.txt'].skipped?.code).toBe('empty_document');
    expect(byPath['big.html'].skipped?.code).toBe('too_large');
  });

  it('filters with include and exclude globs', async () => {
    const pdfsAndDocs = await listDocuments(root, { include: ['**/*.pdf', '**/*.docx'] });
    expect(pdfsAndDocs.map((file) => file.relativePath)).toEqual(['reports/2024/q1.pdf', 'reports/summary.docx']);
    const withoutDrafts = await listDocuments(root, { exclude: ['drafts/**', '*.doc'] });
    expect(withoutDrafts.map((file) => file.relativePath)).not.toContain('drafts/idea.txt');
    expect(withoutDrafts.map((file) => file.relativePath)).not.toContain('legacy.doc');
  });

  it('walks hidden files only when asked', async () => {
    const files = await listDocuments(root, { includeHidden: true });
    expect(files.map((file) => file.relativePath)).toEqual(expect.arrayContaining(['.env', '.git/HEAD']));
  });

  it('lists a single file given as the root', async () => {
    const files = await listDocuments(join(root, 'notes.md'));
    expect(files).toEqual([expect.objectContaining({ relativePath: 'notes.md', format: 'markdown', size: 7 })]);
  });

  it('fails clearly for a missing root', async () => {
    const error = await listDocuments(join(root, 'nope')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DocumentError);
    expect((error as DocumentError).code).toBe('not_found');
  });
});
