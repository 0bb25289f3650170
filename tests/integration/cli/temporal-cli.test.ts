// The README's "Temporal CLI and Web UI" commands, run with the project's `temporal` binary against the test
// server: workflows take one JSON input, and the build answers the same query, signals and update by name.
// README_COMMANDS below are the README's commands (a test checks they appear there verbatim); only the dataset,
// the folder, the task queue and --address differ (`mydocs`, `$PWD/docs`, `datacreek`, the default address there).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/infra/config/load';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import { findTemporalCli } from '../../../src/infra/services/temporal-dev-server';
import type { BuildProgress } from '../../../src/workflows/build-input';
import type { RunningWorker } from '../../../src/worker/worker';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server';
import { testClient, testConfig, testWorker, uniqueId } from '../../support/env';

let llm: TestLlmServer;
let config: DatacreekConfig;
let worker: RunningWorker;
let docs: string;

beforeAll(async () => {
  llm = await startTestLlmServer();
  config = testConfig({
    llm: { base_url: llm.url, model: 'datacreek-test-llm', concurrency: 8, timeout_ms: 10_000, retries: 3 },
    embedding: { provider: 'lexical' },
    chunking: { chunk_size: 500, overlap: 50, whole_document_below: 400 },
    generation: { batch_size: 2, items_per_chunk: 3, max_batches_in_flight: 2 },
  });
  worker = await testWorker(config);
  docs = mkdtempSync(path.join(config.paths.data_dir, 'docs-'));
  writeFileSync(
    path.join(docs, 'rivers.md'),
    Array.from({ length: 30 }, (_, i) => `River ${i} flows ${i * 13} km through valley ${i % 7} and feeds lake ${(i * 5) % 11}.`).join('\n\n'),
  );
});

afterAll(async () => {
  await worker?.shutdown();
  await llm?.close();
});

/** The README's commands, with `mydocs`, `'$PWD'/docs` and the task queue `datacreek` as placeholders. */
const README_COMMANDS = {
  ingest: `temporal workflow execute --type ingestWorkflow --task-queue datacreek --workflow-id ingest-mydocs --input '{"datasetId":"mydocs","items":[{"path":"'$PWD'/docs"}]}'`,
  build: `temporal workflow start --type buildDataset --task-queue datacreek --workflow-id build-mydocs --input '{"datasetId":"mydocs","target":6}'`,
  progress: `temporal workflow query --workflow-id build-mydocs --name progress`,
  pause: `temporal workflow signal --workflow-id build-mydocs --name pause`,
  setTarget: `temporal workflow update execute --workflow-id build-mydocs --name setTarget --input '{"target":9}'`,
  resume: `temporal workflow signal --workflow-id build-mydocs --name resume`,
  list: `temporal workflow list --query "DatasetId='mydocs'"`,
  result: `temporal workflow result --workflow-id build-mydocs`,
  cancel: `temporal workflow cancel --workflow-id build-mydocs`,
} as const;

/** Splits a README command line into argv the way a shell would for these commands (single/double quotes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const match of line.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3]);
  return words;
}

interface Run {
  code: number | null;
  output: string;
}

function temporal(command: keyof typeof README_COMMANDS, datasetId: string): Promise<Run> {
  const line = README_COMMANDS[command]
    .replaceAll('mydocs', datasetId)
    .replaceAll("'$PWD'/docs", docs)
    .replace('--task-queue datacreek', `--task-queue ${config.temporal.task_queue}`);
  const [, ...args] = shellWords(line);
  return new Promise((resolve) => {
    const child = spawn(findTemporalCli(), [...args, '--address', config.temporal.address], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The JSON value the CLI prints as a query, update or workflow result (between the first `{` and the last `}`). */
function printedJson<T>(run: Run): T {
  const start = run.output.indexOf('{');
  const end = run.output.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error(`no JSON in the output (exit ${run.code}):\n${run.output}`);
  return JSON.parse(run.output.slice(start, end + 1)) as T;
}

describe('the temporal CLI drives datacreek workflows', () => {
  it('the README shows exactly these commands', () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    for (const command of Object.values(README_COMMANDS)) expect(readme).toContain(command);
  });

  it('ingest, start a build, query it, pause, retarget, find it by DatasetId, resume, read the result', async () => {
    const ds = uniqueId('tcli');

    const ingest = await temporal('ingest', ds);
    expect(ingest.code, ingest.output).toBe(0);
    expect(ingest.output).toContain('COMPLETED');
    expect(printedJson<{ totals: { ingested: number } }>(ingest).totals.ingested).toBe(1);

    const started = await temporal('build', ds);
    expect(started.code, started.output).toBe(0);
    expect(started.output).toContain(`build-${ds}`);

    // Paused at once, the build launches no batch, so the counts below are exact.
    const paused = await temporal('pause', ds);
    expect(paused.code, paused.output).toBe(0);

    await expect
      .poll(
        async () => {
          const query = await temporal('progress', ds);
          return query.code === 0 ? printedJson<BuildProgress>(query) : query.output;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toMatchObject({ datasetId: ds, status: 'paused', target: 6, accepted: 0 });

    const retargeted = await temporal('setTarget', ds);
    expect(retargeted.code, retargeted.output).toBe(0);
    // The update's result (the build's progress) is printed in Go's map notation: `Result  map[accepted:0 … target:9 …]`.
    expect(retargeted.output).toMatch(/Result\s+map\[.*\btarget:9\b/);
    expect(retargeted.output).toMatch(/\baccepted:0\b/);

    // Visibility (the list's index) trails the history by a moment.
    await expect.poll(async () => (await temporal('list', ds)).output, { timeout: 20_000, interval: 1_000 }).toContain(`build-${ds}`);

    const resumed = await temporal('resume', ds);
    expect(resumed.code, resumed.output).toBe(0);

    const result = await temporal('result', ds);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('COMPLETED');
    expect(printedJson<BuildProgress>(result)).toMatchObject({ status: 'completed', stopReason: 'target_reached', target: 9, accepted: 9 });
  });

  it('cancel stops a build', async () => {
    const ds = uniqueId('tcli-cancel');
    expect((await temporal('ingest', ds)).code).toBe(0);
    const started = await temporal('build', ds);
    expect(started.code, started.output).toBe(0);
    // Paused first, so the build cannot finish on its own before the cancellation arrives.
    expect((await temporal('pause', ds)).code).toBe(0);
    const cancelled = await temporal('cancel', ds);
    expect(cancelled.code, cancelled.output).toBe(0);
    const client = await testClient(config);
    try {
      await expect
        .poll(async () => (await client.workflow.getHandle(`build-${ds}`).describe()).status.name, { timeout: 30_000, interval: 500 })
        .toBe('CANCELLED');
    } finally {
      await client.connection.close();
    }
  });
});
