// The datacreek worker as a real child process (`node bin/datacreek.js worker`), configured only through its
// environment like a production worker, so a test can SIGKILL it at any moment and start it again. Everything it
// prints is kept (in memory and in a log file) so the suite can check that no secret ever reaches a log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/infra/config/load';

/** Variables of the test runner's own environment that must not leak into the worker's configuration. */
const CONFIG_VARIABLES = /^(DATACREEK_|OPENAI_|DATABASE_URL$|TEMPORAL_)/;

/** The test runner's environment without its datacreek settings, plus `config`: all a worker process is given. */
export function workerProcessEnv(config: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !CONFIG_VARIABLES.test(name)) env[name] = value;
  return Object.assign(env, config);
}

export interface WorkerProcessOptions {
  /** DATACREEK_* / OPENAI_* / DATABASE_URL / TEMPORAL_ADDRESS: the worker's whole configuration. */
  env: Record<string, string>;
  logFile: string;
  /** Where the live worker's pid is kept, so a later run can stop a worker an aborted run left behind. */
  pidFile?: string;
  /** How long a start may take, workflow bundling included (slow on a busy 2-core machine). */
  startTimeoutMs?: number;
  /** The worker's working directory (default: the project root); a simulated machine gives each worker its own. */
  cwd?: string;
}

export class WorkerProcess {
  private child: ChildProcess | undefined;
  private output = '';
  private exits: { code: number | null; signal: NodeJS.Signals | null }[] = [];
  /** Times the worker was started (the first start included). */
  starts = 0;
  kills = 0;

  constructor(private readonly options: WorkerProcessOptions) {}

  /** Everything the worker printed on stdout and stderr, over all its lives. */
  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the worker and resolves once it polls its task queue; rejects (with its output) if it exits first. */
  async start(): Promise<void> {
    if (this.running) throw new Error('the worker is already running');
    const env = workerProcessEnv(this.options.env);
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'datacreek.js'), 'worker'], {
      cwd: this.options.cwd ?? PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    if (this.options.pidFile && child.pid) writeFileSync(this.options.pidFile, String(child.pid));
    const lifeStart = this.output.length;
    const record = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.output += text;
      appendFileSync(this.options.logFile, text);
    };
    child.stdout!.on('data', record);
    child.stderr!.on('data', record);
    child.once('exit', (code, signal) => this.exits.push({ code, signal }));
    appendFileSync(this.options.logFile, `\n--- worker start #${this.starts} (pid ${child.pid}) at ${new Date().toISOString()} ---\n`);

    const timeoutMs = this.options.startTimeoutMs ?? 180_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (this.output.slice(lifeStart).includes('[worker] polling task queue')) {
          cleanup();
          resolve();
        }
      }, 100);
      const deadline = setTimeout(() => {
        cleanup();
        reject(new Error(`the worker did not start polling within ${timeoutMs} ms; its output:\n${this.output.slice(lifeStart).slice(-4000)}`));
      }, timeoutMs);
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        cleanup();
        reject(new Error(`the worker exited (code ${code}, signal ${signal}) before polling; its output:\n${this.output.slice(lifeStart).slice(-4000)}`));
      };
      const cleanup = () => {
        clearInterval(timer);
        clearTimeout(deadline);
        child.off('exit', onExit);
      };
      child.once('exit', onExit);
    });
  }

  /** SIGKILL: no shutdown hook, no graceful drain, activities die mid-flight. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) throw new Error('the worker is not running');
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    this.kills++;
    await gone;
  }

  /** Graceful stop (SIGTERM, then SIGKILL after a grace period) for the end of a test. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  /** How each earlier life of the worker ended. */
  get exitHistory(): ReadonlyArray<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exits;
  }
}
