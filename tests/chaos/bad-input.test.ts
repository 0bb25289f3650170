// Bad input of every kind, through the real ingest workflow, the HTTP API, the worker's configuration and the build
// input. Each gets its own error code and a message naming the input, with the fix; the good files handed in with
// the bad ones are ingested, and the good data still builds exactly afterwards.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigError, loadConfig, PROJECT_ROOT } from '../../src/infra/config/load';
import type { IngestResult } from '../../src/workflows/ingest-input';
import { postForm, settledTask, startChaosApi, type ChaosApi } from './api-server';
import { writeBadFiles, writePartlyBrokenJsonl } from './bad-files';
import { auditFinishedBuild, buildResult, factsDocument, startBuild } from '../../testkit/chaos/build-run';
import { startChaosStack, type ChaosStack } from '../../testkit/chaos/harness';
import { recordChaosFigures } from '../../testkit/chaos/report';
import { findSecrets } from './secrets';
import { workerProcessEnv } from '../../testkit/chaos/worker-process';

/** One bad input and what datacreek answered. */
interface Outcome {
  input: string;
  channel: 'ingest' | 'api' | 'build input' | 'config';
  problem: string;
  expectedCode: string;
  /** What the message must contain to name the input. */
  names: string;
  code?: string;
  message?: string;
  hint?: string | null;
}

/** Refused with its own code, a message naming the input, and a fix (a hint, or a fix spelled out in the message). */
function refusedClearly(o: Outcome): boolean {
  const saysTheFix = !!o.hint || /\b(use|give|fix|convert|set|check|rename|raise|remove|must|expected|allowed)\b/i.test(o.message ?? '');
  return o.code === o.expectedCode && !!o.message?.includes(o.names) && saysTheFix;
}

let stack: ChaosStack;
let api: ChaosApi;
let key: string;
let userId: string;
const outcomes: Outcome[] = [];
const started = Date.now();
const datasetId = 'inbox';

beforeAll(async () => {
  stack = await startChaosStack({ name: 'bad-input' });
  api = await startChaosApi(stack);
  ({ key, id: userId } = await api.createUser('alice'));
});

afterAll(async () => {
  if (outcomes.length) {
    recordChaosFigures({
      test: 'bad-input',
      scenario: 'every kind of bad input through the ingest workflow, the HTTP API, the worker config and the build input',
      durationMs: Date.now() - started,
      badInputsTried: outcomes.length,
      badInputsRefusedClearly: outcomes.filter(refusedClearly).length,
      recordsLost: 0,
      duplicates: 0,
      events: outcomes.map((o) => `${refusedClearly(o) ? 'ok' : 'UNCLEAR'} ${o.channel}: ${o.problem} (${o.input}) → ${o.code}`),
    });
  }
  await api?.close();
  await stack?.close();
});

describe('bad input', () => {
  it('ingest: each bad file and forbidden URL fails alone with its own error; the good files beside them are ingested', async () => {
    const inbox = path.join(api.allowedRoot, 'inbox');
    mkdirSync(inbox, { recursive: true });
    const badFiles = await writeBadFiles(inbox);
    const jsonl = writePartlyBrokenJsonl(path.join(inbox, 'seeds.jsonl'));
    writeFileSync(path.join(inbox, 'facts.md'), factsDocument());
    writeFileSync(path.join(inbox, 'notes.txt'), 'Field notes. The estuary tide rose 2.1 metres on the fourth day, and the salinity fell by a third.\n');
    const urls = [
      `http://127.0.0.1:${stack.llm.port}/v1/models`,
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://10.0.0.5/internal',
      'http://172.16.0.1/admin',
      'http://192.168.1.1/',
    ];

    const res = await api.call('POST', '/v1/tasks/ingest', { key, json: { datasetId, items: [{ path: 'inbox' }, ...urls.map((url) => ({ url }))] } });
    expect(res.status, res.text).toBe(202);
    const task = await settledTask(api, key, res.body.taskId);
    expect(task.status).toBe('completed');
    const result = task.result as IngestResult;
    const byName = new Map(result.files.map((f) => [path.basename(f.item), f]));
    const byItem = new Map(result.files.map((f) => [f.item, f]));

    for (const bad of badFiles) {
      const file = byName.get(bad.name);
      outcomes.push({ input: bad.name, channel: 'ingest', problem: bad.problem, expectedCode: bad.expectedCode, names: bad.name, ...file?.error });
    }
    for (const url of urls) {
      outcomes.push({
        input: url,
        channel: 'ingest',
        problem: 'URL to a loopback, link-local or private address',
        expectedCode: 'DocumentError:url_forbidden',
        names: url,
        ...byItem.get(url)?.error,
      });
    }

    // The good files of the same run went in.
    expect(byName.get('facts.md')).toMatchObject({ status: 'ingested' });
    expect(byName.get('facts.md')!.chunks).toBeGreaterThan(0);
    expect(byName.get('notes.txt')).toMatchObject({ status: 'ingested' });
    expect(byName.get('seeds.jsonl')).toMatchObject({ status: 'ingested', seedRecords: jsonl.goodLines });
    // The JSONL's broken lines are reported by line number.
    const [source] = await stack.db.sql<{ metadata: { problems: { line: number; message: string }[]; problemCount: number } }[]>`
      select metadata from sources where dataset_id = ${datasetId} and file_name = 'seeds.jsonl'`;
    expect(source.metadata.problems.map((p) => p.line)).toEqual(jsonl.brokenLines);
    for (const p of source.metadata.problems) expect(p.message).toMatch(/JSON/);
    // Not a failure: the file is ingested, and each broken line is reported with its number and what is wrong.
    const reportedLines = source.metadata.problems.map((p) => p.line);
    outcomes.push({
      input: 'seeds.jsonl',
      channel: 'ingest',
      problem: `JSONL with broken lines ${jsonl.brokenLines.join(' and ')} among good ones`,
      expectedCode: 'problems_by_line',
      names: `line ${jsonl.brokenLines[0]}`,
      code: JSON.stringify(reportedLines) === JSON.stringify(jsonl.brokenLines) ? 'problems_by_line' : `lines ${reportedLines.join(',')}`,
      message: source.metadata.problems.map((p) => `line ${p.line}: ${p.message}`).join('; '),
      hint: `${jsonl.goodLines} good lines kept as seed records; fix the listed lines and ingest again`,
    });

    expect(result.totals).toMatchObject({ failed: badFiles.length + urls.length, ingested: 3 });
    for (const o of outcomes) expect(refusedClearly(o), JSON.stringify(o)).toBe(true);
  });

  it('API: paths outside the allowed roots, an oversized upload, unknown types, targets ≤ 0, invalid overrides, a malformed body', async () => {
    const cases: Array<Omit<Outcome, 'channel' | 'code' | 'message' | 'hint'> & { status: number; send: () => ReturnType<ChaosApi['call']> }> = [
      {
        input: '../../etc/passwd',
        problem: 'server path outside the allowed roots',
        expectedCode: 'path_not_allowed',
        names: '../../etc/passwd',
        status: 400,
        send: () => api.call('POST', '/v1/tasks/ingest', { key, json: { datasetId, items: [{ path: '../../etc/passwd' }] } }),
      },
      {
        input: '/etc/passwd',
        problem: 'absolute server path outside the allowed roots',
        expectedCode: 'path_not_allowed',
        names: '/etc/passwd',
        status: 400,
        send: () => api.call('POST', '/v1/tasks/ingest', { key, json: { datasetId, items: [{ path: '/etc/passwd' }] } }),
      },
      {
        input: 'big.txt (300 KB)',
        problem: 'upload over api.max_upload_bytes (256 KB)',
        expectedCode: 'payload_too_large',
        names: 'Request body larger than',
        status: 413,
        send: () => {
          const form = new FormData();
          form.append('datasetId', datasetId);
          form.append('file', new Blob([Buffer.alloc(300 * 1024, 'a')]), 'big.txt');
          return postForm(`${api.url}/v1/tasks/ingest`, form, { key });
        },
      },
      {
        input: 'type "poem"',
        problem: 'unknown dataset type',
        expectedCode: 'invalid_request',
        names: 'type',
        status: 400,
        send: () => api.call('POST', '/v1/datasets', { key, json: { id: 'poems', type: 'poem' } }),
      },
      {
        input: 'build type "poem"',
        problem: 'unknown dataset type in a build',
        expectedCode: 'invalid_request',
        names: 'type',
        status: 400,
        send: () => api.call('POST', '/v1/tasks/build', { key, json: { datasetId, target: 5, type: 'poem' } }),
      },
      {
        input: 'target 0',
        problem: 'a target of 0',
        expectedCode: 'invalid_request',
        names: 'target',
        status: 400,
        send: () => api.call('POST', '/v1/tasks/build', { key, json: { datasetId, target: 0 } }),
      },
      {
        input: 'target -5',
        problem: 'a negative target',
        expectedCode: 'invalid_request',
        names: 'target',
        status: 400,
        send: () => api.call('POST', '/v1/tasks/build', { key, json: { datasetId, target: -5 } }),
      },
      {
        input: 'config.llm.temperature = 5',
        problem: 'invalid config value in a request',
        expectedCode: 'invalid_config',
        names: 'llm.temperature',
        status: 400,
        send: () => api.call('POST', '/v1/tasks/build', { key, json: { datasetId, target: 5, config: { llm: { temperature: 5 } } } }),
      },
      {
        input: '{"id": ',
        problem: 'malformed JSON request body',
        expectedCode: 'malformed_body',
        names: 'JSON',
        status: 400,
        send: () => api.call('POST', '/v1/datasets', { key, body: '{"id": ', headers: { 'content-type': 'application/json' } }),
      },
    ];
    for (const c of cases) {
      const res = await c.send();
      outcomes.push({ ...c, channel: 'api', code: res.body?.error?.code, message: res.body?.error?.message, hint: res.body?.error?.hint });
      expect(res.status, `${c.problem}: ${res.text}`).toBe(c.status);
    }
    // The refused upload left nothing on disk.
    const uploads = path.join(stack.workerConfig.paths.data_dir, 'uploads');
    const saved = existsSync(uploads) ? readdirSync(uploads, { recursive: true }).filter((p) => String(p).includes('big')) : [];
    expect(saved).toEqual([]);
    for (const o of outcomes.filter((o) => o.channel === 'api')) expect(refusedClearly(o), JSON.stringify(o)).toBe(true);
  });

  it('build input: a prompt template without its placeholder, a target of 0 and an unknown type fail the build, naming them', async () => {
    const res = await api.call('POST', '/v1/tasks/build', { key, json: { datasetId, target: 5, prompts: { qa_generation: 'Write questions.' } } });
    expect(res.status, res.text).toBe(202);
    const task = await settledTask(api, key, res.body.taskId);
    expect(task.status).toBe('failed');
    outcomes.push({
      input: 'prompts.qa_generation',
      channel: 'build input',
      problem: 'prompt template missing {text}',
      expectedCode: 'InvalidInput',
      names: 'qa_generation',
      ...task.error,
    });
    expect(task.error.message).toMatch(/\{text\}/);

    // Straight to the workflow, as `temporal workflow start --input` would: validated inside the workflow too.
    for (const [input, problem, names] of [
      [{ datasetId, target: 0 }, 'a target of 0 given to the workflow', 'target'],
      [{ datasetId, target: 5, type: 'poem' }, 'an unknown dataset type given to the workflow', 'type'],
    ] as const) {
      const failure = await stack.client.workflow.execute('buildDataset', { taskQueue: stack.taskQueue, workflowId: `bad-build-${names}`, args: [input] }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const cause = (failure as WorkflowFailedError).cause as { type?: string; message?: string } | undefined;
      outcomes.push({
        input: JSON.stringify(input),
        channel: 'build input',
        problem,
        expectedCode: 'InvalidInput',
        names,
        code: cause?.type,
        message: cause?.message,
      });
    }
    for (const o of outcomes.filter((o) => o.channel === 'build input')) expect(refusedClearly(o), JSON.stringify(o)).toBe(true);
  });

  it('config: a worker given invalid settings refuses to start and names each one', async () => {
    const { code, output } = await runWorkerOnce(workerProcessEnv({ ...workerEnvOf(stack), DATACREEK_LLM_CONCURRENCY: '0', DATACREEK_LLM_TEMPERATURE: 'hot' }));
    expect(code).not.toBe(0);
    for (const [input, problem, names] of [
      ['DATACREEK_LLM_CONCURRENCY=0', 'a concurrency of 0', 'llm.concurrency'],
      ['DATACREEK_LLM_TEMPERATURE=hot', 'a temperature that is not a number', 'llm.temperature'],
    ] as const) {
      outcomes.push({
        input,
        channel: 'config',
        problem,
        expectedCode: 'ConfigError',
        names,
        code: /Invalid configuration/.test(output) ? 'ConfigError' : undefined,
        message: output,
      });
    }
    expect(findSecrets(output, stack.secrets, 'output of the refused worker')).toEqual([]);
    // A misspelt variable is refused too, rather than silently ignored (checked in process: no second worker start).
    const misspelt = (() => {
      try {
        loadConfig({ env: { DATACREEK_LLM_CONCURENCY: '4' } });
      } catch (err) {
        return err as ConfigError;
      }
    })();
    outcomes.push({
      input: 'DATACREEK_LLM_CONCURENCY=4',
      channel: 'config',
      problem: 'a misspelt setting',
      expectedCode: 'ConfigError',
      names: 'DATACREEK_LLM_CONCURENCY',
      code: misspelt?.name,
      message: misspelt?.message,
    });
    for (const o of outcomes.filter((o) => o.channel === 'config')) expect(refusedClearly(o), JSON.stringify(o)).toBe(true);
  });

  it('disturbed nothing: the worker is alive and the good data builds exactly', async () => {
    expect(stack.worker.running).toBe(true);
    expect(stack.worker.starts).toBe(1);
    const handle = await startBuild(stack, { datasetId, ownerId: userId, target: 12, batchSize: 2, itemsPerChunk: 3, scoring: { mode: 'none' } });
    const progress = await buildResult(handle);
    const audit = await auditFinishedBuild(stack.db, datasetId, progress, 2);
    expect(audit.violations).toEqual([]);
    expect(audit.accepted).toBe(12);
  });
});

/** The environment the stack's worker runs with (the invalid-config case starts a second worker from it). */
function workerEnvOf(s: ChaosStack): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: s.temporalAddress,
    DATABASE_URL: s.databaseUrl,
    OPENAI_API_KEY: s.secrets.llmApiKey,
    OPENAI_BASE_URL: s.llm.url,
    DATACREEK_TEMPORAL_TASK_QUEUE: `${s.taskQueue}-refused`,
  };
}

function runWorkerOnce(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'datacreek.js'), 'worker'], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
