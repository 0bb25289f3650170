// A -c file's settings become workflow inputs (only the keys it sets), and command options win over them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inputsFromConfigFile, readConfigFile } from '../../../src/cli/config-file-inputs';
import { mergeDeep } from '../../../src/infra/common/deep-merge';
import { loadConfig } from '../../../src/infra/config/load';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dc-cfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = path.join(dir, 'my.yaml');
writeFileSync(
  file,
  [
    'generation: { items_per_chunk: 3, max_rounds: 4, mode: grounded }',
    'llm: { temperature: 0.2 }',
    'curate: { threshold: 8.5, filters: [{ step: pii, action: remove }] }',
    'dedup: { semantic: { threshold: 0.8 } }',
    'export: { format: alpaca, seed: 7 }',
  ].join('\n'),
);
const config = loadConfig({ env: {}, file });
const raw = readConfigFile(file);

describe('inputs from a -c file', () => {
  it('passes exactly what the file sets to a build', () => {
    expect(inputsFromConfigFile('build', raw, config)).toEqual({
      itemsPerChunk: 3,
      maxRounds: 4,
      generation: { mode: 'grounded', temperature: 0.2 },
      scoring: { threshold: 8.5 },
      filters: [{ step: 'pii', action: 'remove' }],
      dedup: { semantic: { threshold: 0.8 } },
    });
  });

  it('lets command options win, without undefined options erasing file values', () => {
    const merged = mergeDeep(inputsFromConfigFile('build', raw, config), { maxRounds: 9, scoring: { mode: 'none', threshold: undefined } });
    expect(merged).toMatchObject({ itemsPerChunk: 3, maxRounds: 9, scoring: { mode: 'none', threshold: 8.5 } });
  });

  it('passes curation and export settings to those workflows', () => {
    expect(inputsFromConfigFile('curate', raw, config)).toMatchObject({ threshold: 8.5, filters: [{ step: 'pii' }] });
    expect(inputsFromConfigFile('save', raw, config)).toEqual({ format: 'alpaca', seed: 7 });
  });

  it('passes nothing without a file', () => {
    expect(inputsFromConfigFile('build', null, config)).toEqual({});
  });
});
