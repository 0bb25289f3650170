// POST /v1/tasks/pipeline: a pipeline named in configs/pipelines or sent as YAML, over rows in the allowed
// roots, run for real on a worker against the test LLM server; bad YAML is a 400 naming the block and the fix;
// a YAML body cannot make the server read files outside pipelines.dir; the route is in the OpenAPI document.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server';
import { startApiHarness, waitFor, workflowStartInput, type ApiHarness, type TestUser } from './harness';

describe('POST /v1/tasks/pipeline', () => {
  let h: ApiHarness;
  let alice: TestUser;
  let llm: TestLlmServer;
  let worker: { shutdown(): Promise<void> } | undefined;

  beforeAll(async () => {
    llm = await startTestLlmServer({ duplicates: { exact: 0, near: 0, semantic: 0 } });
    h = await startApiHarness({ llm: { base_url: llm.url, model: 'datacreek-test-llm' }, embedding: { provider: 'lexical' } });
    alice = await h.createUser('alice');
    const rows = [
      'Tides are the rise and fall of sea levels caused by the Moon and the Sun.',
      'Spring tides happen at new and full moon, when the pull of Sun and Moon adds up.',
    ];
    writeFileSync(path.join(h.allowedRoot, 'rows.jsonl'), rows.map((document) => JSON.stringify({ document })).join('\n'));
    const { testWorker } = await import('../../support/env');
    worker = await testWorker(h.config);
  });
  afterAll(async () => {
    await worker?.shutdown();
    await h?.close();
    await llm?.close();
  });

  it('runs a shipped pipeline by name and reports its progress', async () => {
    const res = await h.call('POST', '/v1/tasks/pipeline', { key: alice.key, json: { pipeline: { name: 'summary' }, input: { rowsPath: 'rows.jsonl' } } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'pipeline', status: 'running' });
    expect(await workflowStartInput(h.temporal, res.body.taskId)).toMatchObject({
      pipeline: { name: 'summary' },
      input: { rowsPath: path.join(h.allowedRoot, 'rows.jsonl') },
      ownerId: alice.id,
    });
    const task = await waitFor('pipeline task', async () => {
      const r = await h.call('GET', `/v1/tasks/${res.body.taskId}`, { key: alice.key });
      return r.body.status === 'running' ? undefined : r.body;
    });
    expect(task.status).toBe('completed');
    expect(task.result).toMatchObject({ status: 'completed', inputRows: 2, outputRows: 2 });
    expect(task.result.blocks.map((b: { name: string }) => b.name)).toEqual(['gen_summary', 'drop_empty']);
  });

  it('refuses an invalid YAML body with every problem, before anything starts', async () => {
    const yaml = 'version: "2.0"\nblocks:\n  - name: x\n    type: Nope\n    config: {}\n';
    const res = await h.call('POST', '/v1/tasks/pipeline', { key: alice.key, json: { pipeline: { yaml }, input: { rowsPath: 'rows.jsonl' } } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_pipeline');
    expect(res.body.error.message).toContain('"2.0" is from a future major version');
    expect(res.body.error.message).toContain('"Nope" is not a block type');
  });

  it('does not let a YAML body read files outside pipelines.dir', async () => {
    const yaml = 'version: "1.0"\nblocks:\n  - name: steal\n    type: LLMBlock\n    config:\n      config_path: /etc/passwd\n      output_cols: [x]\n';
    const res = await h.call('POST', '/v1/tasks/pipeline', { key: alice.key, json: { pipeline: { yaml }, input: { rowsPath: 'rows.jsonl' } } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/\/etc\/passwd is outside .*pipelines/);
  });

  it('is in the OpenAPI document', async () => {
    const res = await h.call('GET', '/openapi.json');
    expect(res.body.paths['/v1/tasks/pipeline'].post.summary).toMatch(/YAML block pipeline/);
    expect(res.body.components.schemas.PipelineTask).toBeDefined();
  });
});
