// The datacreek command as a person uses it: a real process, started with the environment variables that point
// it at the test Temporal server, PostgreSQL and LLM server, while a worker runs in this test process.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatacreekConfig } from '../../../src/infra/config/schema';
import type { Database } from '../../../src/infra/db/client';
import type { BuildProgress } from '../../../src/workflows/build-input';
import type { RunningWorker } from '../../../src/worker/worker';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server';
import { testClient, testConfig, testDatabase, testWorker, uniqueId } from '../../support/env';
import { cliEnv, describeRun, parseJson, runCli, startCli } from './run-cli';

let llm: TestLlmServer;
let config: DatacreekConfig;
let worker: RunningWorker;
let client: Client;
let db: Database;
let env: NodeJS.ProcessEnv;
let docs: string;

const TOPICS = ['glaciers', 'volcanoes', 'coral reefs', 'deserts', 'rainforests', 'tundra'];

function sampleDocument(): string {
  return TOPICS.map(
    (t, i) =>
      `## ${t}\n\n` +
      Array.from(
        { length: 10 },
        (_, j) => `Fact ${j + 1} about ${t}: the ${t} of region ${i}-${j} show pattern ${(i * 31 + j * 7) % 97} in season ${j % 4}.`,
      ).join(' '),
  ).join('\n\n');
}

beforeAll(async () => {
  llm = await startTestLlmServer();
  config = testConfig({
    llm: { base_url: llm.url, model: 'datacreek-test-llm', concurrency: 8, timeout_ms: 10_000, retries: 3 },
    embedding: { provider: 'openai', base_url: llm.url, model: 'datacreek-test-embedding' },
    chunking: { chunk_size: 500, overlap: 50, whole_document_below: 400 },
    generation: { batch_size: 2, items_per_chunk: 3, max_batches_in_flight: 2 },
  });
  worker = await testWorker(config);
  client = await testClient(config);
  db = testDatabase(config);
  env = cliEnv(config);
  docs = mkdtempSync(path.join(config.paths.data_dir, 'docs-'));
  writeFileSync(path.join(docs, 'nature.md'), sampleDocument());
});

afterAll(async () => {
  await worker?.shutdown();
  await db?.close();
  await client?.connection.close();
  await llm?.close();
});

async function ingestWithClient(datasetId: string): Promise<void> {
  await client.workflow.execute('ingestWorkflow', {
    taskQueue: config.temporal.task_queue,
    workflowId: `ingest-${datasetId}`,
    args: [{ datasetId, items: [{ path: docs }] }],
  });
}

async function acceptedCount(datasetId: string): Promise<number> {
  const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from records where dataset_id = ${datasetId} and status = 'accepted'`;
  return n;
}

describe('datacreek CLI', () => {
  it('ingest → build → status → save-as → validate → datasets → search', async () => {
    const ds = uniqueId('cli');

    const preview = await runCli(['--json', 'ingest', docs, '--dataset', ds, '--preview'], env);
    expect(preview.code, describeRun(preview)).toBe(0);
    // The preview names each entry as the ingest result will, and says what the ingest will do with it.
    expect(parseJson(preview)).toEqual([expect.objectContaining({ item: path.join(docs, 'nature.md'), format: 'markdown', action: 'ingest document' })]);
    const [{ sources }] = await db.sql<{ sources: number }[]>`select count(*)::int as sources from sources where dataset_id = ${ds}`;
    expect(sources).toBe(0);

    const ingest = await runCli(['--json', 'ingest', docs, '--dataset', ds], env);
    expect(ingest.code, describeRun(ingest)).toBe(0);
    const ingested = parseJson(ingest);
    expect(ingested.totals.ingested).toBe(1);
    expect(ingested.totals.chunks).toBeGreaterThan(3);

    const build = await runCli(['--json', 'build', '--dataset', ds, '--target', '12', '--threshold', '6'], env);
    expect(build.code, describeRun(build)).toBe(0);
    const built = parseJson<BuildProgress & { workflowId: string }>(build);
    expect(built.workflowId).toBe(`build-${ds}`);
    expect(built.stopReason).toBe('target_reached');
    expect(built.accepted).toBe(12);
    expect(await acceptedCount(ds)).toBe(12);

    const status = await runCli(['--json', 'status', ds], env);
    expect(status.code, describeRun(status)).toBe(0);
    const shown = parseJson(status);
    expect(shown).toMatchObject({ workflowId: `build-${ds}`, type: 'buildDataset', status: 'completed' });
    expect(shown.result.accepted).toBe(12);

    const saved = await runCli(['--json', 'save-as', '--dataset', ds, '--format', 'alpaca', '--split', '0.5,0.25,0.25', '--seed', '3'], env);
    expect(saved.code, describeRun(saved)).toBe(0);
    const exported = parseJson<{ format: string; recordCount: number; files: { split: string; path: string; records: number }[] }>(saved);
    expect(exported.format).toBe('alpaca');
    expect(exported.recordCount).toBe(12);
    expect(exported.files.map((f) => [f.split, f.records])).toEqual([
      ['train', 6],
      ['validation', 3],
      ['test', 3],
    ]);
    for (const file of exported.files) expect(existsSync(file.path)).toBe(true);

    const train = exported.files[0].path;
    const [humanStatus, humanShow] = await Promise.all([runCli(['status', ds], env), runCli(['datasets', 'show', ds], env)]);
    expect(humanStatus.code, describeRun(humanStatus)).toBe(0);
    expect(humanStatus.stdout).toMatch(/^status\s+completed$/m);
    expect(humanStatus.stdout).toContain('stopped: target reached: 12/12 accepted');
    expect(humanShow.code, describeRun(humanShow)).toBe(0);
    expect(humanShow.stdout).toContain('records: 12/12 accepted');
    expect(humanShow.stdout).toMatch(/^nature\.md\s+file\s+markdown/m);
    const [validate, list, show, search] = await Promise.all([
      runCli(['validate', train, '--format', 'alpaca'], env),
      runCli(['--json', 'datasets', 'list'], env),
      runCli(['--json', 'datasets', 'show', ds], env),
      runCli(['--json', 'search', '--dataset', ds, 'glaciers', 'region', '-k', '3'], env),
    ]);
    expect(validate.code, describeRun(validate)).toBe(0);
    expect(validate.stdout).toContain('ok: 6 rows');

    expect(list.code, describeRun(list)).toBe(0);
    expect(parseJson<any[]>(list).find((d) => d.id === ds)).toMatchObject({ acceptedCount: 12, target: 12, status: 'completed', sources: 1 });

    expect(show.code, describeRun(show)).toBe(0);
    const details = parseJson(show);
    expect(details.records.accepted).toBe(12);
    expect(details.records.total).toBe(details.records.accepted + details.records.rejected + details.records.surplus + details.records.candidate);
    expect(details.sources).toBe(1);
    expect(details.sourceList[0].file).toBe('nature.md');
    expect(details.exportList).toEqual([expect.objectContaining({ format: 'alpaca', records: 12 })]);

    expect(search.code, describeRun(search)).toBe(0);
    const found = parseJson(search);
    expect(found.embedding).toBe('openai');
    expect(found.results).toHaveLength(3);
    expect(found.results[0].text).toContain('glaciers');
    expect(found.results[0].score).toBeGreaterThanOrEqual(found.results[1].score);

    // `text` (plain text for continued pretraining) goes from the command line through the workflow to the file.
    const savedText = await runCli(['--json', 'save-as', '--dataset', ds, '--format', 'text'], env);
    expect(savedText.code, describeRun(savedText)).toBe(0);
    const textExport = parseJson<{ format: string; recordCount: number; files: { path: string }[] }>(savedText);
    expect(textExport.format).toBe('text');
    expect(textExport.recordCount).toBe(12);
    const textRows = textExport.files.flatMap((file) =>
      readFileSync(file.path, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line)),
    );
    expect(textRows).toHaveLength(12);
    for (const row of textRows) expect(Object.keys(row)).toEqual(['text']);
  });

  it('create makes one unscored round of at most --num records; curate judges them and keeps the good ones', async () => {
    const ds = uniqueId('cli-create');
    await ingestWithClient(ds);
    const created = await runCli(['--json', 'create', '--dataset', ds, '--type', 'qa', '--num', '5'], env);
    expect(created.code, describeRun(created)).toBe(0);
    const progress = parseJson<BuildProgress>(created);
    expect(progress.accepted).toBe(5);
    expect(progress.rejected.low_score ?? 0).toBe(0);
    const [{ scored }] = await db.sql<{ scored: number }[]>`select count(*)::int as scored from records where dataset_id = ${ds} and score is not null`;
    expect(scored).toBe(0);

    const curated = await runCli(['curate', '--dataset', ds, '--threshold', '8'], env);
    expect(curated.code, describeRun(curated)).toBe(0);
    const summary = curated.stdout.match(/^(\d+) of (\d+) records kept \(retention [\d.]+%\), average score ([\d.]+|n\/a)$/m);
    expect(summary, curated.stdout).not.toBeNull();
    const [kept, total] = [Number(summary![1]), Number(summary![2])];
    expect(total).toBe(5);
    expect(await acceptedCount(ds)).toBe(kept);
    // The workflow was started by name with the dataset's owner and the threshold given.
    const workflowId = curated.stderr.match(/started (curate-\S+);/)![1];
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const started = history.events![0].workflowExecutionStartedEventAttributes!;
    expect(started.workflowType!.name).toBe('curateDataset');
    expect(defaultPayloadConverter.fromPayload(started.input!.payloads![0])).toMatchObject({ datasetId: ds, ownerId: 'local', threshold: 8 });
  });

  it('Ctrl-C detaches from a build; pause, set-target, resume and cancel steer it; rm waits until it stopped', async () => {
    const ds = uniqueId('cli-live');
    await ingestWithClient(ds);
    llm.setOptions({ latencyMs: 400 });
    try {
      const following = startCli(['build', '--dataset', ds, '--target', '200'], env);
      // Progress lines appear once the follower (and its Ctrl-C handler) runs.
      await following.waitForOutput(/\/200 accepted/);
      following.child.kill('SIGINT');
      const detached = await following.done;
      expect(detached.code, describeRun(detached)).toBe(0);
      expect(detached.stdout).toContain('detached');
      expect(detached.stdout).toContain(`datacreek status ${ds} --follow`);
      const handle = client.workflow.getHandle(`build-${ds}`);
      expect((await handle.describe()).status.name).toBe('RUNNING');

      const paused = await runCli(['pause', ds], env);
      expect(paused.code, describeRun(paused)).toBe(0);
      await expect.poll(async () => (await handle.query<BuildProgress>('progress')).status, { timeout: 10_000 }).toBe('paused');

      const refused = await runCli(['datasets', 'rm', ds], env);
      expect(refused.code, describeRun(refused)).toBe(5);
      expect(refused.stderr).toContain(`build-${ds}`);
      expect(refused.stderr).toContain('datacreek cancel');

      const retargeted = await runCli(['--json', 'set-target', ds, '300'], env);
      expect(retargeted.code, describeRun(retargeted)).toBe(0);
      expect(parseJson(retargeted).progress.target).toBe(300);

      const resumed = await runCli(['resume', ds], env);
      expect(resumed.code, describeRun(resumed)).toBe(0);
      await expect.poll(async () => (await handle.query<BuildProgress>('progress')).status, { timeout: 10_000 }).toBe('running');

      const cancelled = await runCli(['--json', 'cancel', ds], env);
      expect(cancelled.code, describeRun(cancelled)).toBe(0);
      expect(parseJson(cancelled).status).toBe('cancelled');
    } finally {
      llm.setOptions({ latencyMs: 0 });
    }

    const removed = await runCli(['--json', 'datasets', 'rm', ds], env);
    expect(removed.code, describeRun(removed)).toBe(0);
    expect(parseJson(removed).vectorTablesDropped).toContain(`chunks__${ds}`);
    const gone = await runCli(['datasets', 'show', ds], env);
    expect(gone.code, describeRun(gone)).toBe(4);
  });

  it('usage errors exit 2 and say what is wrong', async () => {
    const badConfig = path.join(config.paths.data_dir, 'bad.yaml');
    writeFileSync(badConfig, 'llm:\n  temperature: 9\n');
    const [type, target, file, variable] = await Promise.all([
      runCli(['build', '--dataset', 'anything', '--target', '5', '--type', 'poem'], env),
      runCli(['build', '--dataset', 'anything', '--target', '0'], env),
      runCli(['-c', badConfig, 'datasets', 'list'], env),
      runCli(['datasets', 'list'], { ...env, DATACREEK_LLM_PROVIDER: 'nope' }),
    ]);
    expect(type.code, describeRun(type)).toBe(2);
    expect(type.stderr).toContain("argument 'poem' is invalid. Allowed choices are qa, cot, summary, conversation, preference");
    expect(target.code, describeRun(target)).toBe(2);
    expect(target.stderr).toMatch(/--target <n>' argument '0' is invalid\. Give a whole number of at least 1/);
    expect(file.code, describeRun(file)).toBe(2);
    expect(file.stderr).toContain('llm.temperature');
    expect(variable.code, describeRun(variable)).toBe(2);
    expect(variable.stderr).toMatch(/llm\.provider: .*expected one of .*"openai"/);
  });

  it('what does not exist exits 4', async () => {
    const [build, status, search] = await Promise.all([
      runCli(['build', '--dataset', 'no-such-dataset', '--target', '3'], env),
      runCli(['status', 'no-such-task'], env),
      runCli(['search', '--dataset', 'no-such-dataset', 'anything'], env),
    ]);
    for (const run of [build, status, search]) expect(run.code, describeRun(run)).toBe(4);
    expect(build.stderr).toContain('dataset "no-such-dataset" not found');
    expect(build.stderr).toContain('hint: ');
    expect(status.stderr).toContain('no task or build named "no-such-task"');
  });

  it('validate prints every problem with its line and exits 3', async () => {
    const broken = path.join(config.paths.data_dir, 'broken.jsonl');
    writeFileSync(
      broken,
      [
        JSON.stringify({ instruction: 'Name a glacier.', input: '', output: 'Aletsch.' }),
        '{"instruction": "unterminated',
        JSON.stringify({ instruction: 'Missing output' }),
      ].join('\n'),
    );
    const result = await runCli(['validate', broken, '--format', 'alpaca'], env);
    expect(result.code, describeRun(result)).toBe(3);
    expect(result.stdout).toMatch(/^line 2: invalid JSON/m);
    expect(result.stdout).toMatch(/^line 3: .*output/m);
    expect(result.stdout).not.toMatch(/^line 1:/m);
  });

  it('system-check reports every service, and FAIL with the fix when the model is not served', async () => {
    const [healthy, wrongModel] = await Promise.all([
      runCli(['--json', 'system-check'], env),
      runCli(['system-check'], { ...env, DATACREEK_LLM_MODEL: 'not-a-served-model' }),
    ]);
    expect(healthy.code, describeRun(healthy)).toBe(0);
    const report = parseJson<{ ok: boolean; checks: { name: string; status: string; detail: string }[] }>(healthy);
    expect(report.ok).toBe(true);
    expect(Object.fromEntries(report.checks.map((c) => [c.name, c.status]))).toEqual({
      temporal: 'ok',
      workers: 'ok',
      database: 'ok',
      llm: 'ok',
      embedding: 'ok',
    });
    expect(report.checks.find((c) => c.name === 'temporal')!.detail).toMatch(/server \d+\.\d+/);
    expect(report.checks.find((c) => c.name === 'database')!.detail).toMatch(/PostgreSQL \d+/);
    // Every kind of work has a worker polling its own task queue.
    expect(report.checks.find((c) => c.name === 'workers')!.detail).toMatch(/workflows [1-9]\d*, llm [1-9]\d*, accept [1-9]\d*, files [1-9]\d*/);

    expect(wrongModel.code, describeRun(wrongModel)).toBe(1);
    expect(wrongModel.stdout).toMatch(/^FAIL\s+llm\s+.*model "not-a-served-model" is not served/m);
    expect(wrongModel.stdout).toContain('fix: Set DATACREEK_LLM_MODEL / llm.model');
  });

  it('serve answers HTTP until Ctrl-C, then stops cleanly', async () => {
    const serving = startCli(['serve'], { ...env, DATACREEK_API_PORT: '0' });
    await serving.waitForOutput(/API: http:\/\/\S+/);
    const url = serving.stdout().match(/API: (http:\/\/\S+)/)![1];
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', database: true, temporal: true });
    serving.child.kill('SIGINT');
    const stopped = await serving.done;
    expect(stopped.code, describeRun(stopped)).toBe(0);
    expect(stopped.stdout).toContain('[serve] stopped');
  });

  it('users create prints the API key once and stores only its hash', async () => {
    const result = await runCli(['--json', 'users', 'create', 'cli-user'], env);
    expect(result.code, describeRun(result)).toBe(0);
    const created = parseJson(result);
    expect(created.apiKey.key).toMatch(/^dck_/);
    const [row] = await db.sql<{ key_hash: string }[]>`select key_hash from api_keys where user_id = ${created.user.id}`;
    expect(row.key_hash).not.toContain(created.apiKey.key);
  });
});
