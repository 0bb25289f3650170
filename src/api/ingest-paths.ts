// Server paths named in an ingest request are read by the worker with the server's permissions, so the API only
// lets through paths that stay inside `ingest.allowed_roots` once `..` and symbolic links are resolved.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { isInside } from '../domain/parsers';
import { badRequest } from './errors';

export { isInside };

/** The real path of `p`, or of its deepest existing ancestor joined with the rest (a file may not exist yet). */
function realPathOf(p: string): string {
  const missing: string[] = [];
  let current = p;
  for (;;) {
    try {
      return path.join(realpathSync(current), ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return p;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Returns the resolved real path when `requested` lies inside one of `allowedRoots`, and throws a 400 naming the
 * roots otherwise. Relative paths resolve against the first root (a person names files relative to it).
 */
export function resolveAllowedPath(requested: string, allowedRoots: string[]): string {
  if (allowedRoots.length === 0) {
    throw badRequest(
      'path_not_allowed',
      `Server path "${requested}" cannot be ingested: this server allows no server paths`,
      'Upload the file instead (multipart/form-data to POST /v1/tasks/ingest), pass a URL, or ask the operator to set ingest.allowed_roots.',
    );
  }
  const roots = realAllowedRoots(allowedRoots);
  const resolved = realPathOf(path.resolve(roots[0], requested));
  if (!roots.some((root) => isInside(resolved, root))) {
    throw badRequest(
      'path_not_allowed',
      `Server path "${requested}" is outside the allowed ingest roots`,
      `Name a file or folder inside ${allowedRoots.map((r) => `"${r}"`).join(', ')} (after resolving ".." and symbolic links), or upload the file instead.`,
    );
  }
  return resolved;
}

/** The allowed roots with `..` and symbolic links resolved: what every file found under them must resolve into. */
export function realAllowedRoots(allowedRoots: string[]): string[] {
  return allowedRoots.map((r) => realPathOf(path.resolve(r)));
}
