// SIGKILL the worker in the middle of a runPipeline run, twice, restarting it each time: the run completes with
// exactly the rows of an undisturbed run of the same pipeline, and the test LLM server's call count shows that
// only blocks in flight at a kill were redone — no block ran again on a batch it had finished.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineProgress, PipelineRunInput } from '../../src/workflows/pipeline-input';
import { startChaosStack, waitFor, type ChaosStack } from '../../testkit/chaos/harness';

const ROWS = 24;
const BATCH_SIZE = 4;
const CONCURRENCY = 2;
const KILLS = 2;

let stack: ChaosStack;

beforeAll(async () => {
  // 40 ms per call keeps blocks running long enough for a kill to land inside one.
  stack = await startChaosStack({ name: 'kill-pipeline', llm: { latencyMs: 40, duplicates: { exact: 0, near: 0, semantic: 0 } } });
});

afterAll(async () => {
  await stack?.close();
});

function writePipeline(dir: string): PipelineRunInput {
  const prompt = (name: string, generation: string, tags: [string, string][]) =>
    writeFileSync(
      path.join(dir, `${name}.yaml`),
      `system: You are careful.\nintroduction: ${name}\nprinciples: ""\nexamples: ""\ngeneration: ${JSON.stringify(generation)}\n` +
        `start_tags: ${JSON.stringify(tags.map((t) => t[0]))}\nend_tags: ${JSON.stringify(tags.map((t) => t[1]))}\n`,
    );
  prompt('answer', 'Answer this question in one sentence. {{question}}', [['', '']]);
  prompt(
    'rate',
    'Rate the answer. Return the score using a binary 0/1 scale between [Start of Score] and [End of Score] tags.\n[Start of Question]\n{{question}}\n[End of Question]\n{{response}}',
    [['[Start of Score]', '[End of Score]']],
  );
  prompt('polish', 'Rewrite the answer more clearly. {{response}}', [['', '']]);
  writeFileSync(
    path.join(dir, 'pipeline.yaml'),
    [
      'version: "1.0"',
      'blocks:',
      '  - { name: answer, type: LLMBlock, config: { config_path: answer.yaml, output_cols: [response] } }',
      '  - { name: rate, type: LLMBlock, config: { config_path: rate.yaml, output_cols: [score] } }',
      '  - { name: keep_good, type: FilterByValueBlock, config: { filter_column: score, filter_value: 1, operation: eq, convert_dtype: int } }',
      '  - { name: polish, type: LLMBlock, config: { config_path: polish.yaml, output_cols: [polished] } }',
      '',
    ].join('\n'),
  );
  const questions = Array.from({ length: ROWS }, (_, i) => ({
    question: `What happened to the lighthouse keeper in story number ${i + 1} of the winter collection?`,
  }));
  writeFileSync(path.join(dir, 'rows.jsonl'), questions.map((q) => JSON.stringify(q)).join('\n'));
  return {
    pipeline: { path: path.join(dir, 'pipeline.yaml') },
    input: { rowsPath: path.join(dir, 'rows.jsonl') },
    batchSize: BATCH_SIZE,
    concurrency: CONCURRENCY,
  };
}

async function checkpoints(runId: string): Promise<number> {
  const [{ n }] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from pipeline_checkpoints where run_id = ${runId}`;
  return n;
}

async function outputOf(runId: string) {
  return stack.db.sql<{ row_id: string; data: unknown }[]>`
    select row_id, data from pipeline_rows where run_id = ${runId} and stage = 4 order by batch, position`;
}

describe('SIGKILL the worker during a pipeline run', () => {
  it(`resumes mid-pipeline after ${KILLS} kills without rerunning finished blocks`, async () => {
    const input = writePipeline(stack.dir);
    const start = (workflowId: string) => stack.client.workflow.start('runPipeline', { taskQueue: stack.taskQueue, workflowId, args: [input] });

    // An undisturbed run first: what the killed run must produce, and the LLM calls it takes.
    stack.llm.resetStats();
    const reference: PipelineProgress = await (await start('pipeline-reference')).result();
    const referenceCalls = stack.llm.stats().requests;
    expect(reference.status).toBe('completed');
    expect(referenceCalls).toBe(reference.llmCalls);
    const batches = Math.ceil(ROWS / BATCH_SIZE);
    const totalCheckpoints = batches * 4;

    stack.llm.resetStats();
    const handle = await start('pipeline-killed');
    const killedAt: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const point = Math.floor((kill * totalCheckpoints) / (KILLS + 1));
      await waitFor(`${point} checkpoints`, async () => ((await checkpoints('pipeline-killed')) >= point ? true : undefined), 120_000, 20);
      // Land inside a block: while LLM calls are open.
      await waitFor('an LLM call in flight', async () => (stack.llm.stats().open > 0 ? true : undefined), 30_000, 2);
      killedAt.push(await checkpoints('pipeline-killed'));
      await stack.worker.kill();
      await stack.worker.start();
    }
    const progress: PipelineProgress = await handle.result();
    const calls = stack.llm.stats().requests;
    console.log(
      `[chaos kill-pipeline] kills at checkpoints ${killedAt.join(', ')} of ${totalCheckpoints}; LLM calls ${calls} (undisturbed run: ${referenceCalls})`,
    );

    for (const at of killedAt) expect(at).toBeLessThan(totalCheckpoints);
    expect(progress.status).toBe('completed');
    expect(await checkpoints('pipeline-killed')).toBe(totalCheckpoints);
    // The same rows, with the same deterministic ids, as the undisturbed run.
    expect((await outputOf('pipeline-killed')).map((r) => [r.row_id, r.data])).toEqual((await outputOf('pipeline-reference')).map((r) => [r.row_id, r.data]));
    expect(progress.outputRows).toBe(reference.outputRows);
    // Only the blocks running at a kill (at most CONCURRENCY batches of BATCH_SIZE rows each) were redone.
    expect(calls).toBeGreaterThanOrEqual(referenceCalls);
    expect(calls - referenceCalls).toBeLessThanOrEqual(KILLS * CONCURRENCY * BATCH_SIZE);
    // The progress counts each finished block once: no batch was counted twice.
    for (const block of progress.blocks) expect(block.batchesDone).toBe(batches);
    expect(progress.llmCalls).toBe(reference.llmCalls);
  });
});
