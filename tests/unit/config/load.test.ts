import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactConfig } from '../../../src/infra/config/load';

const userYamlDirs: string[] = [];
afterAll(() => {
  for (const dir of userYamlDirs) rmSync(dir, { recursive: true, force: true });
});

function userYaml(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dc-config-'));
  userYamlDirs.push(dir);
  const file = path.join(dir, 'user.yaml');
  writeFileSync(file, text);
  return file;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads every default from configs/config.yaml', () => {
    const cfg = loadConfig({ env: {} });
    expect(cfg.llm.concurrency).toBe(32);
    expect(cfg.chunking).toMatchObject({ strategy: 'sliding', chunk_size: 4000, overlap: 200, whole_document_below: 8000 });
    expect(cfg.curate.threshold).toBe(7);
    // null: each build and curation takes the active embedder's default (defaultSemanticThreshold).
    expect(cfg.dedup.semantic.threshold).toBeNull();
    expect(cfg.export.split).toEqual({ train: 0.8, validation: 0.1, test: 0.1 });
    expect(cfg.temporal.task_queue).toBe('datacreek');
    expect(path.isAbsolute(cfg.paths.data_dir)).toBe(true);
    expect(cfg.paths.lancedb_dir.startsWith(cfg.paths.data_dir)).toBe(true);
  });

  it('layers defaults < user YAML < environment < overrides', () => {
    const file = userYaml('llm:\n  model: from-yaml\n  temperature: 0.2\n  max_tokens: 111\n');
    const cfg = loadConfig({
      file,
      env: { DATACREEK_LLM_TEMPERATURE: '0.3', DATACREEK_LLM_MAX_TOKENS: '222' },
      overrides: { llm: { max_tokens: 333 } },
    });
    expect(cfg.llm.model).toBe('from-yaml');
    expect(cfg.llm.temperature).toBe(0.3);
    expect(cfg.llm.max_tokens).toBe(333);
    expect(cfg.llm.base_url).toBe('');
  });

  it('uses the local model when no endpoint is configured, an endpoint when one is', () => {
    expect(loadConfig({ env: {} }).llm.provider).toBe('local');
    expect(loadConfig({ env: { OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' } }).llm.provider).toBe('openai');
    const err = configError(() => loadConfig({ env: {}, overrides: { llm: { provider: 'openai' } } }));
    expect(err.problems.join('\n')).toMatch(/llm.base_url: required/);
  });

  it('maps the conventional variables and nested DATACREEK_ keys', () => {
    const cfg = loadConfig({
      env: {
        OPENAI_BASE_URL: 'http://llm.example:9000/v1',
        OPENAI_API_KEY: '12345',
        DATABASE_URL: 'postgres://u:p@db:5432/x',
        TEMPORAL_ADDRESS: 'temporal:7233',
        DATACREEK_DEDUP__SEMANTIC__THRESHOLD: '0.85',
        DATACREEK_INGEST_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    });
    expect(cfg.llm.base_url).toBe('http://llm.example:9000/v1');
    expect(cfg.llm.api_key).toBe('12345'); // stays a string
    expect(cfg.database.url).toBe('postgres://u:p@db:5432/x');
    expect(cfg.temporal.address).toBe('temporal:7233');
    expect(cfg.dedup.semantic.threshold).toBe(0.85);
    expect(cfg.ingest.allow_private_networks).toBe(true);
  });

  it('rejects an invalid value with its path and the allowed values', () => {
    const err = configError(() => loadConfig({ env: {}, overrides: { llm: { provider: 'bogus' as never } } }));
    expect(err.problems.join('\n')).toMatch(/llm\.provider: .*"auto".*"openai".*"local"/);
    const err2 = configError(() => loadConfig({ env: { DATACREEK_LLM_TEMPERATURE: '5' } }));
    expect(err2.problems.join('\n')).toMatch(/llm\.temperature: .*2/);
  });

  it('rejects unknown settings in YAML and unknown environment names', () => {
    const err = configError(() => loadConfig({ file: userYaml('llm:\n  modle: typo\n'), env: {} }));
    expect(err.problems.join('\n')).toMatch(/llm: unknown setting\(s\) "modle"/);
    const err2 = configError(() => loadConfig({ env: { DATACREEK_LLM_MODLE: 'x' } }));
    expect(err2.problems.join('\n')).toMatch(/DATACREEK_LLM_MODLE: no such setting/);
  });

  it('names a missing or malformed config file', () => {
    expect(configError(() => loadConfig({ file: '/nonexistent/x.yaml', env: {} })).message).toMatch(/not found: \/nonexistent\/x.yaml/);
    expect(configError(() => loadConfig({ file: userYaml('llm: [unclosed'), env: {} })).message).toMatch(/not valid YAML/);
  });

  it('redacts secrets for logs', () => {
    const cfg = loadConfig({ env: { OPENAI_API_KEY: 'sk-secret', DATABASE_URL: 'postgres://u:hunter2@db/x' } });
    const red = JSON.stringify(redactConfig(cfg));
    expect(red).not.toContain('sk-secret');
    expect(red).not.toContain('hunter2');
  });
});
