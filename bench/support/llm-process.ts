// The test LLM server (testkit/llm-server) as its own process, so a benchmark measures the worker's memory and
// event loop without the server's, as with a real endpoint. Controlled over its /_control routes.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/infra/config/load';
import type { ServerStats, TestLlmServerOptionsPatch } from '../../testkit/llm-server';

export interface LlmServerProcess {
  /** Base URL ending in /v1. */
  url: string;
  stats(): Promise<ServerStats>;
  resetStats(): Promise<void>;
  setOptions(patch: TestLlmServerOptionsPatch): Promise<void>;
  close(): Promise<void>;
}

export async function startLlmServerProcess(options: { concurrency: number; latencyMs: number; dims?: number }): Promise<LlmServerProcess> {
  const main = path.join(PROJECT_ROOT, 'testkit', 'llm-server', 'main.ts');
  const args = ['--import', 'tsx', main, '--port', '0', '--concurrency', String(options.concurrency), '--latency-ms', String(options.latencyMs)];
  if (options.dims) args.push('--dims', String(options.dims));
  const child: ChildProcess = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('the test LLM server did not start within 30 s (testkit/llm-server/main.ts)')), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`the test LLM server printed "${line}" instead of its JSON address line`));
      }
    });
    child.once('exit', (code) => reject(new Error(`the test LLM server exited with code ${code} before listening`)));
  });
  const control = new URL('/_control/', url).toString();
  const post = async (route: string, body: unknown) => {
    const res = await fetch(control + route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`test LLM server ${route}: ${res.status} ${await res.text()}`);
  };
  return {
    url,
    stats: async () => (await (await fetch(control + 'stats')).json()) as ServerStats,
    resetStats: () => post('reset', {}),
    setOptions: (patch) => post('options', patch),
    close: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
