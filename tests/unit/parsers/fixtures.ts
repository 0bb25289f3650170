// Shared helper for the parser tests: reading the committed fixtures.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/docs/', import.meta.url));

export function fixture(relativePath: string): { fileName: string; bytes: Uint8Array } {
  return { fileName: relativePath.split('/').pop()!, bytes: new Uint8Array(readFileSync(`${FIXTURES_DIR}${relativePath}`)) };
}
