import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentError, listDocuments } from '../../../src/domain/parsers';

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

  it('lists every entry with relative path, size and format, or a skip reason', async () => {
    const files = await listDocuments(root, { maxFileBytes: 2048 });
    expect(files.map((file) => file.relativePath)).toEqual([
      '.env',
      '.git/',
      'big.html',
      'drafts/idea.txt',
      'empty.txt',
      'legacy.doc',
      'notes.md',
      'reports-link',
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
    expect(byPath['.env'].skipped).toEqual({ code: 'hidden', reason: 'hidden file' });
    expect(byPath['.git/'].skipped).toEqual({ code: 'hidden', reason: 'hidden folder (not walked)' });
    expect(byPath['reports-link'].skipped?.code).toBe('link_to_folder');
  });

  it('skips, and names, links that lead outside the roots it is confined to', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'datacreek-outside-'));
    const inside = await mkdtemp(join(tmpdir(), 'datacreek-inside-'));
    try {
      await writeFile(join(outside, 'secret.txt'), 'not yours');
      await writeFile(join(inside, 'mine.txt'), 'yours');
      await symlink(join(outside, 'secret.txt'), join(inside, 'secret.txt'));
      await symlink(join(inside, 'mine.txt'), join(inside, 'alias.txt'));
      const confined = await listDocuments(inside, { confineTo: [inside] });
      const byPath = Object.fromEntries(confined.map((f) => [f.relativePath, f]));
      expect(byPath['secret.txt'].skipped).toEqual({ code: 'link_outside_roots', reason: 'link leads outside the allowed roots' });
      expect(byPath['alias.txt'].skipped).toBeUndefined();
      expect(byPath['mine.txt'].skipped).toBeUndefined();
      // Unconfined (the local CLI), the link is followed and its target shown.
      const followed = await listDocuments(inside);
      expect(followed.find((f) => f.relativePath === 'secret.txt')).toMatchObject({ linkTarget: join(outside, 'secret.txt') });
      expect(followed.find((f) => f.relativePath === 'secret.txt')!.skipped).toBeUndefined();
    } finally {
      await rm(outside, { recursive: true, force: true });
      await rm(inside, { recursive: true, force: true });
    }
  });

  it('lists a name with a newline as unreadable, escaped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'datacreek-names-'));
    try {
      await writeFile(join(dir, 'bad\nname.txt'), 'x');
      const [file] = await listDocuments(dir);
      expect(file).toMatchObject({ relativePath: 'bad\\nname.txt', skipped: { code: 'unreadable_name' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('filters with include and exclude globs', async () => {
    const ingestible = (files: Awaited<ReturnType<typeof listDocuments>>) => files.filter((f) => !f.skipped).map((f) => f.relativePath);
    const pdfsAndDocs = await listDocuments(root, { include: ['**/*.pdf', '**/*.docx'] });
    expect(ingestible(pdfsAndDocs)).toEqual(['reports/2024/q1.pdf', 'reports/summary.docx']);
    expect(pdfsAndDocs.find((f) => f.relativePath === 'notes.md')?.skipped?.code).toBe('not_included');
    const withoutDrafts = await listDocuments(root, { exclude: ['drafts/**', '*.doc'] });
    expect(ingestible(withoutDrafts)).not.toContain('drafts/idea.txt');
    expect(withoutDrafts.find((f) => f.relativePath === 'drafts/idea.txt')?.skipped).toEqual({ code: 'excluded', reason: 'excluded by a glob' });
    expect(withoutDrafts.find((f) => f.relativePath === 'legacy.doc')?.skipped?.code).toBe('excluded');
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
