// docs/ARCHITECTURE.md's "where is it" table is generated from the code; this fails when a CLI verb, API route,
// workflow or activity was added, renamed or moved without regenerating it (npm run architecture:table).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentedArchitectureTable, renderArchitectureTable, tableCells } from '../../../scripts/architecture-table';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('docs/ARCHITECTURE.md', () => {
  it('holds the table the code generates today', async () => {
    const documented = documentedArchitectureTable();
    expect(documented, 'the table markers are missing from docs/ARCHITECTURE.md').not.toBeNull();
    expect(tableCells(documented ?? ''), 'docs/ARCHITECTURE.md is out of date: run `npm run architecture:table` and commit it').toBe(
      tableCells(await renderArchitectureTable()),
    );
  });

  it('links only to files that exist, and lists every kind', async () => {
    const table = await renderArchitectureTable();
    const linked = [...table.matchAll(/\]\(\.\.\/([^)]+)\)/g)].map(([, file]) => file);
    expect(linked.filter((file) => !existsSync(path.join(ROOT, file)))).toEqual([]);
    for (const kind of ['src/cli/commands/', 'src/api/routes/', 'src/workflows/', 'src/activities/']) {
      expect(
        linked.some((file) => file.startsWith(kind)),
        `no entry from ${kind}`,
      ).toBe(true);
    }
  });

  it('reads the table only between its markers', () => {
    expect(documentedArchitectureTable('# A document without the markers')).toBeNull();
  });
});
