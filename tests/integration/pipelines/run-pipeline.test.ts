// runPipeline end to end: a real worker on the real Temporal dev server and PostgreSQL, the project's test
// LLM server as the endpoint (over /v1/completions, as InstructLab's LLMBlock calls it). InstructLab's
// shipped pipelines run unchanged from the vendored fixtures on a knowledge qna.yaml with its document and
// on freeform and grounded skills; one row whose call fails for good is rejected with its reason while the
// run completes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import type { Database } from '../../../src/infra/db/client';
import type { PipelineProgress, PipelineRunInput } from '../../../src/workflows/pipeline-input';
import type { RunningWorker } from '../../../src/worker/worker';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server';
import { testClient, testConfig, testDatabase, testWorker, uniqueId } from '../../support/env';

const FIXTURES = path.resolve(__dirname, '../../fixtures/instructlab');
const KNOWLEDGE = path.join(FIXTURES, 'taxonomy/knowledge/phoenix/qna.yaml');
const GROUNDED = path.join(FIXTURES, 'taxonomy/skills/grounded/qna.yaml');
const FREEFORM = path.join(FIXTURES, 'taxonomy/skills/freeform/qna.yaml');

let llm: TestLlmServer;
let config: DatacreekConfig;
let worker: RunningWorker;
let client: Client;
let db: Database;

beforeAll(async () => {
  llm = await startTestLlmServer({ duplicates: { exact: 0, near: 0, semantic: 0 } });
  config = testConfig({
    llm: { base_url: llm.url, model: 'datacreek-test-llm', concurrency: 16, timeout_ms: 10_000, retries: 1 },
    embedding: { provider: 'lexical' },
    pipelines: { batch_size: 4, max_batches_in_flight: 3 },
  });
  worker = await testWorker(config);
  client = await testClient(config);
  db = testDatabase(config);
});

afterAll(async () => {
  await worker?.shutdown();
  await db?.close();
  await client?.connection.close();
  await llm?.close();
});

async function run(input: PipelineRunInput, label: string) {
  const workflowId = uniqueId(`pipeline-${label}`);
  const handle = await client.workflow.start('runPipeline', { taskQueue: config.temporal.task_queue, workflowId, args: [input] });
  const progress: PipelineProgress = await handle.result();
  return { workflowId, handle, progress };
}

function outputRows(progress: PipelineProgress): Record<string, unknown>[] {
  return readFileSync(progress.outputPath!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** Rows in, out and rejected add up at every block, in the progress and in PostgreSQL. */
async function expectAccounted(workflowId: string, progress: PipelineProgress) {
  for (const block of progress.blocks) expect(block.batchesDone).toBe(progress.batches);
  const rejects = await db.sql<{ n: number }[]>`select count(*)::int as n from pipeline_rejects where run_id = ${workflowId}`;
  expect(rejects[0].n).toBe(Object.values(progress.rejected).reduce((a, b) => a + b, 0));
  const [{ n: checkpoints }] = await db.sql<{ n: number }[]>`select count(*)::int as n from pipeline_checkpoints where run_id = ${workflowId}`;
  expect(checkpoints).toBe(progress.batches * progress.blocks.length);
  expect(progress.outputRows).toBe(progress.blocks[progress.blocks.length - 1].rowsOut);
}

const SHIPPED: { pipeline: string; taxonomy: string; columns: string[] }[] = [
  { pipeline: 'simple/knowledge', taxonomy: KNOWLEDGE, columns: ['output', 'document'] },
  { pipeline: 'full/knowledge', taxonomy: KNOWLEDGE, columns: ['question', 'response', 'document', 'raw_document', 'dataset_type'] },
  { pipeline: 'llama/knowledge', taxonomy: KNOWLEDGE, columns: ['question', 'response', 'document', 'raw_document', 'dataset_type'] },
  { pipeline: 'eval/mmlu_bench', taxonomy: KNOWLEDGE, columns: ['mmlubench_question', 'mmlubench_answer'] },
  { pipeline: 'simple/freeform_skills', taxonomy: FREEFORM, columns: ['output', 'seed_question'] },
  { pipeline: 'full/freeform_skills', taxonomy: FREEFORM, columns: ['question', 'response'] },
  { pipeline: 'llama/freeform_skills', taxonomy: FREEFORM, columns: ['question', 'response'] },
  { pipeline: 'simple/grounded_skills', taxonomy: GROUNDED, columns: ['output', 'seed_context'] },
  { pipeline: 'full/grounded_skills', taxonomy: GROUNDED, columns: ['question', 'response', 'context'] },
  { pipeline: 'llama/grounded_skills', taxonomy: GROUNDED, columns: ['question', 'response', 'context'] },
];

describe("InstructLab's shipped pipelines, unchanged", () => {
  for (const shipped of SHIPPED) {
    it(`${shipped.pipeline} runs end to end`, async () => {
      const { workflowId, progress } = await run(
        { pipeline: { path: path.join(FIXTURES, 'pipelines', `${shipped.pipeline}.yaml`) }, input: { taxonomyPath: shipped.taxonomy }, numInstructions: 2 },
        shipped.pipeline.replace('/', '-'),
      );
      expect(progress.status).toBe('completed');
      expect(progress.outputRows).toBeGreaterThan(0);
      expect(progress.llmCalls).toBeGreaterThan(0);
      await expectAccounted(workflowId, progress);
      const rows = outputRows(progress);
      expect(rows).toHaveLength(progress.outputRows);
      for (const row of rows) for (const column of shipped.columns) expect(typeof row[column]).toBe('string');
      if (shipped.pipeline.startsWith('full/') || shipped.pipeline.startsWith('llama/')) {
        // The evaluation blocks and their filters really ran: the test server fails a fixed share of judgements.
        expect(Object.keys(progress.rejected).some((reason) => reason.includes(': filtered'))).toBe(true);
      }
      if (shipped.pipeline === 'full/knowledge' && process.env.WRITE_REPLAY_HISTORIES === '1') {
        const dir = path.resolve(__dirname, '../../replay/histories');
        mkdirSync(dir, { recursive: true });
        // The Temporal CLI prints the history in the same proto JSON form as historyToJSON (which fails inside
        // vitest: two copies of the proto module).
        const temporal = path.resolve(__dirname, '../../../.tools/bin/temporal');
        const shown = execFileSync(temporal, ['workflow', 'show', '--workflow-id', workflowId, '--address', config.temporal.address, '--output', 'json'], {
          maxBuffer: 64 * 1024 * 1024,
        });
        const history = JSON.parse(shown.toString('utf8'));
        writeFileSync(path.join(dir, 'runPipeline--instructlab-full-knowledge.json'), JSON.stringify({ workflowId, history }, null, 1));
      }
    });
  }
});

describe("datacreek's shipped pipelines (configs/pipelines)", () => {
  const expected: Record<string, string[]> = {
    qa: ['question', 'response', 'judge_score'],
    cot: ['question', 'reasoning', 'response'],
    summary: ['instruction', 'summary'],
    conversation: ['question', 'response', 'followup', 'followup_response'],
    preference: ['prompt', 'chosen', 'rejected'],
  };
  for (const [name, columns] of Object.entries(expected)) {
    it(`${name} runs by name over document rows`, async () => {
      const rowsPath = path.join(config.paths.data_dir, 'phoenix-rows.jsonl');
      const doc = readFileSync(path.join(FIXTURES, 'taxonomy/knowledge/phoenix/phoenix.md'), 'utf8');
      const paragraphs = doc
        .split(/\n\s*\n/)
        .filter((p) => p.length > 200)
        .slice(0, 6);
      writeFileSync(rowsPath, paragraphs.map((document) => JSON.stringify({ document })).join('\n'));
      const { workflowId, progress } = await run({ pipeline: { name }, input: { rowsPath } }, name);
      expect(progress.status).toBe('completed');
      expect(progress.outputRows).toBeGreaterThan(0);
      await expectAccounted(workflowId, progress);
      for (const row of outputRows(progress)) for (const column of columns) expect(row[column]).toBeDefined();
    });
  }
});

describe('a row whose call fails for good', () => {
  it('is rejected with its reason and the run completes', async () => {
    const marker = 'POISON-ROW-7f3a';
    llm.setOptions({ refusePromptsContaining: marker });
    const dir = path.join(config.paths.data_dir, 'poison');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'answer.yaml'),
      'system: You are helpful.\nintroduction: Answer the question.\nprinciples: ""\nexamples: ""\ngeneration: "{{question}}"\nstart_tags: [""]\nend_tags: [""]\n',
    );
    writeFileSync(
      path.join(dir, 'pipeline.yaml'),
      'version: "1.0"\nblocks:\n  - name: answer\n    type: LLMBlock\n    config:\n      config_path: answer.yaml\n      output_cols: [response]\n',
    );
    const questions = Array.from({ length: 10 }, (_, i) => ({ question: i === 6 ? `What is ${marker}?` : `What is fact number ${i} about the sea?` }));
    writeFileSync(path.join(dir, 'rows.jsonl'), questions.map((q) => JSON.stringify(q)).join('\n'));
    try {
      const { workflowId, progress } = await run(
        { pipeline: { path: path.join(dir, 'pipeline.yaml') }, input: { rowsPath: path.join(dir, 'rows.jsonl') } },
        'poison',
      );
      expect(progress.status).toBe('completed');
      expect(progress.outputRows).toBe(9);
      expect(progress.rejected).toEqual({ 'answer: llm_error': 1 });
      const rejects = await db.sql<{ row_id: string; reason: string; data: { question: string } }[]>`
        select row_id, reason, data from pipeline_rejects where run_id = ${workflowId}`;
      expect(rejects).toHaveLength(1);
      expect(rejects[0].row_id).toBe('r7');
      expect(rejects[0].data.question).toContain(marker);
      expect(rejects[0].reason).toMatch(/^llm_error: 400 .*maximum context length/);
    } finally {
      llm.setOptions({ refusePromptsContaining: '' });
    }
  });
});

describe('validation before anything runs', () => {
  it('fails the run at once, naming the file, the block and the fix', async () => {
    const dir = path.join(config.paths.data_dir, 'bad');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'p.yaml'), 'version: "1.0"\nblocks:\n  - name: shout\n    type: ShoutBlock\n    config: {}\n');
    writeFileSync(path.join(dir, 'rows.jsonl'), '{"a": 1}\n');
    const workflowId = uniqueId('pipeline-bad');
    const handle = await client.workflow.start('runPipeline', {
      taskQueue: config.temporal.task_queue,
      workflowId,
      args: [{ pipeline: { path: path.join(dir, 'p.yaml') }, input: { rowsPath: path.join(dir, 'rows.jsonl') } }],
    });
    const error = await handle.result().then(
      () => undefined,
      (err) => err,
    );
    expect(String(error?.cause?.message)).toMatch(
      /p\.yaml › block #1 shout \(ShoutBlock\) › blocks\[0\]\.type: "ShoutBlock" is not a block type — use one of: LLMBlock/,
    );
    expect(error?.cause?.type).toBe('InvalidPipeline');
  });
});

describe('live controls', () => {
  async function slowRun(label: string) {
    const dir = path.join(config.paths.data_dir, label);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'echo.yaml'),
      'system: s\nintroduction: i\nprinciples: ""\nexamples: ""\ngeneration: "Say more about {{topic}}."\nstart_tags: [""]\nend_tags: [""]\n',
    );
    writeFileSync(
      path.join(dir, 'p.yaml'),
      'version: "1.0"\nblocks:\n  - { name: one, type: LLMBlock, config: { config_path: echo.yaml, output_cols: [a] } }\n  - { name: two, type: LLMBlock, config: { config_path: echo.yaml, output_cols: [b] } }\n',
    );
    writeFileSync(path.join(dir, 'rows.jsonl'), Array.from({ length: 16 }, (_, i) => JSON.stringify({ topic: `river ${i}` })).join('\n'));
    const workflowId = uniqueId(`pipeline-${label}`);
    const handle = await client.workflow.start('runPipeline', {
      taskQueue: config.temporal.task_queue,
      workflowId,
      args: [
        {
          pipeline: { path: path.join(dir, 'p.yaml') },
          input: { rowsPath: path.join(dir, 'rows.jsonl') },
          batchSize: 2,
          concurrency: 1,
        } satisfies PipelineRunInput,
      ],
    });
    return { workflowId, handle };
  }
  const checkpointCount = async (runId: string) =>
    (await db.sql<{ n: number }[]>`select count(*)::int as n from pipeline_checkpoints where run_id = ${runId}`)[0].n;

  it('pause stops new blocks, resume finishes the run', async () => {
    llm.setOptions({ latencyMs: 60 });
    try {
      const { workflowId, handle } = await slowRun('pause');
      await expect.poll(() => checkpointCount(workflowId), { timeout: 30_000 }).toBeGreaterThan(1);
      await handle.signal('pause');
      await expect.poll(async () => (await handle.query<PipelineProgress>('progress')).status).toBe('paused');
      const held = await checkpointCount(workflowId);
      await new Promise((resolve) => setTimeout(resolve, 800));
      // At most the block that was running when the pause arrived finishes.
      expect(await checkpointCount(workflowId)).toBeLessThanOrEqual(held + 1);
      const whilePaused = await checkpointCount(workflowId);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await checkpointCount(workflowId)).toBe(whilePaused);
      expect(whilePaused).toBeLessThan(16);
      await handle.signal('resume');
      const progress: PipelineProgress = await handle.result();
      expect(progress.status).toBe('completed');
      expect(progress.outputRows).toBe(16);
    } finally {
      llm.setOptions({ latencyMs: 0 });
    }
  });

  it('cancel stops the run and marks it cancelled', async () => {
    llm.setOptions({ latencyMs: 60 });
    try {
      const { workflowId, handle } = await slowRun('cancel');
      await expect.poll(() => checkpointCount(workflowId), { timeout: 30_000 }).toBeGreaterThan(1);
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      const [run] = await db.sql<{ status: string }[]>`select status from pipeline_runs where id = ${workflowId}`;
      expect(run.status).toBe('cancelled');
      expect(await checkpointCount(workflowId)).toBeLessThan(16);
    } finally {
      llm.setOptions({ latencyMs: 0 });
    }
  });
});
