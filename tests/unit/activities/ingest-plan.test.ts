// Ingest planning, shared by the ingest and `--preview`: every entry of a folder is planned or skipped with its
// reason; datasets are imported (and the preview says so); links out of the allowed roots are skipped for API
// requests and followed, visibly, for the local CLI.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planIngest } from '../../../src/activities/ingest-plan';

let root: string;
let inbox: string;
let outside: string;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'datacreek-plan-'));
  inbox = path.join(root, 'inbox');
  outside = path.join(root, 'outside');
  mkdirSync(inbox);
  mkdirSync(outside);
  writeFileSync(path.join(inbox, 'notes.md'), '# Notes\n');
  writeFileSync(path.join(inbox, 'seeds.csv'), 'question,answer\nq,a\n');
  writeFileSync(path.join(inbox, 'legacy.doc'), 'old');
  writeFileSync(path.join(inbox, 'empty.txt'), '');
  writeFileSync(path.join(inbox, '.env'), 'SECRET=1');
  writeFileSync(path.join(outside, 'secret.txt'), 'not yours');
  symlinkSync(path.join(outside, 'secret.txt'), path.join(inbox, 'secret.txt'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('planIngest', () => {
  it('plans or skips every entry, with the action the ingest will take', async () => {
    const plan = await planIngest([{ path: inbox }], { maxFileBytes: 1024, allowedRoots: [inbox] });
    const action = Object.fromEntries(plan.entries.map((e) => [path.basename(e.item), e.reason ? `${e.action}: ${e.reason}` : e.action]));
    expect(action).toEqual({
      '.env': 'skip: hidden file',
      'empty.txt': 'fail: The file is empty',
      'legacy.doc': expect.stringMatching(/^skip: unsupported type: Legacy Word files/),
      'notes.md': 'ingest document',
      'secret.txt': 'skip: link leads outside the allowed roots',
      'seeds.csv': 'import dataset',
    });
    // What the ingest receives agrees with the preview.
    expect(plan.files.map((f) => [path.basename(f.label), f.kind])).toEqual([
      ['empty.txt', 'document'],
      ['notes.md', 'document'],
      ['seeds.csv', 'dataset'],
    ]);
    expect(plan.files.every((f) => f.allowedRoots?.[0] === inbox)).toBe(true);
    expect(plan.skipped.map((s) => path.basename(s.item)).sort()).toEqual(['.env', 'legacy.doc', 'secret.txt']);
  });

  it('follows links for the local CLI and says where they lead', async () => {
    const plan = await planIngest([{ path: inbox }], { maxFileBytes: 1024 });
    const link = plan.entries.find((e) => e.item.endsWith('secret.txt'));
    expect(link).toMatchObject({ action: 'ingest document', linkTarget: path.join(outside, 'secret.txt') });
    expect(plan.files.some((f) => f.label.endsWith('secret.txt') && f.allowedRoots === undefined)).toBe(true);
  });
});
