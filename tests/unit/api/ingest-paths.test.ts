import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/api/errors';
import { resolveAllowedPath } from '../../../src/api/ingest-paths';

const root = mkdtempSync(path.join(tmpdir(), 'dc-roots-'));
mkdirSync(path.join(root, 'docs'));
writeFileSync(path.join(root, 'docs', 'a.md'), '# A');
const outside = mkdtempSync(path.join(tmpdir(), 'dc-outside-'));
writeFileSync(path.join(outside, 'secret.txt'), 'secret');
symlinkSync(outside, path.join(root, 'docs', 'escape'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof ApiError ? `${err.status} ${err.code}` : String(err);
  }
  return 'accepted';
};

describe('resolveAllowedPath', () => {
  it('accepts absolute and root-relative paths inside an allowed root', () => {
    expect(resolveAllowedPath(path.join(root, 'docs', 'a.md'), [root])).toBe(path.join(root, 'docs', 'a.md'));
    expect(resolveAllowedPath('docs/a.md', [root])).toBe(path.join(root, 'docs', 'a.md'));
    expect(resolveAllowedPath('docs/not-yet-there.md', [root])).toBe(path.join(root, 'docs', 'not-yet-there.md'));
  });

  it.each(['../../etc/passwd', '/etc/passwd', 'docs/../../x'])('refuses %s with a 400 and a hint', (requested) => {
    expect(codeOf(() => resolveAllowedPath(requested, [root]))).toBe('400 path_not_allowed');
  });

  it('refuses a symbolic link that leads out of the root', () => {
    expect(codeOf(() => resolveAllowedPath('docs/escape/secret.txt', [root]))).toBe('400 path_not_allowed');
  });

  it('refuses every server path when no root is configured, pointing at uploads instead', () => {
    try {
      resolveAllowedPath(path.join(root, 'docs', 'a.md'), []);
      expect.unreachable();
    } catch (err) {
      expect((err as ApiError).hint).toMatch(/upload/i);
    }
  });
});
