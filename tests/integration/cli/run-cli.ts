// Runs the real `datacreek` command as a child process against the test services. Always asynchronous: the
// worker these tests rely on runs in the test process, and a synchronous spawn would stall it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../src/infra/config/load';
import type { DatacreekConfig } from '../../../src/infra/config/schema';

export const CLI = path.join(PROJECT_ROOT, 'bin', 'datacreek.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment that points a CLI process at the same services as `config` (what a person would export).
 * Built from nothing but PATH and HOME, so no DATACREEK_* variable of the surrounding shell leaks in.
 */
export function cliEnv(config: DatacreekConfig, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    TEMPORAL_ADDRESS: config.temporal.address,
    DATABASE_URL: config.database.url,
    DATACREEK_TEMPORAL_TASK_QUEUE: config.temporal.task_queue,
    DATACREEK_TEMPORAL_START_DEV_SERVER: 'false',
    DATACREEK_PATHS_DATA_DIR: config.paths.data_dir,
    OPENAI_BASE_URL: config.llm.base_url,
    DATACREEK_LLM_MODEL: config.llm.model,
    DATACREEK_EMBEDDING_PROVIDER: config.embedding.provider,
    DATACREEK_EMBEDDING_BASE_URL: config.embedding.base_url,
    DATACREEK_EMBEDDING_MODEL: config.embedding.model,
    DATACREEK_LOG_LEVEL: 'warn',
  };
  return { ...env, ...extra };
}

export interface RunningCli {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr or stdout matches, or rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<CliResult>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; timeoutMs?: number } = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd: opts.cwd ?? PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.stdout!.on('data', (d) => {
    stdout += d;
    notify();
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
    notify();
  });
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const done = new Promise<CliResult>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForOutput(pattern, waitMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout) || pattern.test(stderr)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no output matching ${pattern} within ${waitMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
        }, waitMs);
        listeners.add(check);
        check();
      });
    },
    done,
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return startCli(args, env, opts).done;
}

/** Parses stdout as JSON, showing the whole run when it is not. */
export function parseJson<T = any>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

/** A readable failure message for exit-code assertions. */
export function describeRun(result: CliResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}
