import { describe, expect, it } from 'vitest';
import { resolveTaskOverrides } from '../../../src/client/config-override';
import { type ApiError, toApiError } from '../../../src/api/errors';
import { InvalidRequestError } from '../../../src/client/errors';
import { loadConfig } from '../../../src/infra/config/load';

const base = loadConfig({ env: {} });

/** The refusal as the API answers it. */
function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidRequestError) return toApiError(err, 'test-request').apiError;
    throw err;
  }
  throw new Error('expected an InvalidRequestError');
}

describe('resolveTaskOverrides', () => {
  it('maps build settings onto the build workflow input fields', () => {
    const fields = resolveTaskOverrides('build', base, {
      config: {
        generation: { batch_size: 4, max_batches_in_flight: 2, token_budget: 5000 },
        curate: { threshold: 8.5 },
        llm: { temperature: 0.2 },
        dedup: { minhash: { threshold: 0.7 } },
        prompts: { qa_generation: 'Ask about {text}' },
      },
    });
    expect(fields).toEqual({
      batchSize: 4,
      concurrency: 2,
      tokenBudget: 5000,
      scoring: { threshold: 8.5 },
      generation: { temperature: 0.2 },
      dedup: { minhash: { threshold: 0.7 } },
      prompts: { qa_generation: 'Ask about {text}' },
    });
  });

  it('maps ingest chunking and export settings for their task kinds', () => {
    expect(resolveTaskOverrides('ingest', base, { config: { chunking: { chunk_size: 1000 }, ingest: { include: ['*.md'] } } })).toEqual({
      chunking: { chunk_size: 1000 },
      include: ['*.md'],
    });
    expect(resolveTaskOverrides('save', base, { config: { export: { format: 'alpaca', split: { train: 0.9, validation: 0.1, test: 0 } } } })).toEqual({
      format: 'alpaca',
      split: { train: 0.9, validation: 0.1, test: 0 },
    });
  });

  it.each([
    ['database', { database: { url: 'postgres://evil' } }],
    ['paths', { paths: { data_dir: '/' } }],
    ['temporal', { temporal: { task_queue: 'x' } }],
    ['api', { api: { admin_token: 'x' } }],
  ])('refuses the server-only section %s', (section, config) => {
    const err = refusal(() => resolveTaskOverrides('build', base, { config }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('override_forbidden');
    expect(err.message).toContain(`config.${section}`);
  });

  it('refuses ingest.allowed_roots even on an ingest task', () => {
    const err = refusal(() => resolveTaskOverrides('ingest', base, { config: { ingest: { allowed_roots: ['/'] } } }));
    expect(err.code).toBe('override_forbidden');
    expect(err.message).toContain('config.ingest.allowed_roots');
  });

  it('validates values with the config schema and names the bad path', () => {
    const err = refusal(() => resolveTaskOverrides('build', base, { config: { generation: { batch_size: -1, colour: 'red' } } }));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(/generation\.batch_size/);
    expect(err.message).toMatch(/colour/);
  });

  it('refuses settings the task kind cannot apply, such as the LLM endpoint or its key', () => {
    const err = refusal(() => resolveTaskOverrides('build', base, { config: { llm: { api_key: 'sk-secret', model: 'other' } } }));
    expect(err.code).toBe('override_not_applicable');
    expect(err.message).toContain('config.llm.api_key');
    expect(err.hint).toContain('generation.batch_size');
    // generate never scores, so a scoring setting is not applicable to it
    expect(refusal(() => resolveTaskOverrides('generate', base, { config: { curate: { scoring: 'judge' } } })).code).toBe('override_not_applicable');
  });

  it('takes only the applicable settings of a named config file, and never its server sections', () => {
    // configs/config.yaml is a full configuration, database and paths included.
    const fields = resolveTaskOverrides('save', base, { configName: 'config' });
    expect(Object.keys(fields).sort()).toEqual(['format', 'seed', 'split', 'stratifyBySource', 'systemPrompt']);
    expect(JSON.stringify(fields)).not.toContain('postgres');
  });

  it.each(['../secrets', 'a/b', '..', '.hidden'])('refuses the config name %s', (name) => {
    expect(refusal(() => resolveTaskOverrides('build', base, { configName: name })).code).toBe('invalid_config_name');
  });

  it('names the available configs when the name is unknown', () => {
    const err = refusal(() => resolveTaskOverrides('build', base, { configName: 'no-such-config' }));
    expect(err.code).toBe('unknown_config');
    expect(err.hint).toContain('config');
  });
});
