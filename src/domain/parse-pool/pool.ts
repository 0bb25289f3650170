// A small pool of worker threads that parse files off the main event loop. A hostile file (deeply nested HTML, a
// PDF of thousands of pages, a 30 MB JSON line) can then only occupy a parse thread: the worker keeps heartbeating,
// answering signals and running other activities. Each job has a wall-clock limit and each thread a heap limit;
// a thread over either is terminated (never reused) and the file fails alone, naming the limit and its setting.
import { Worker } from 'node:worker_threads';
import { DocumentError } from '../parsers';
import type { ParseJob, ParseJobResult, SerializedError } from './jobs';

export interface ParsePoolOptions {
  /** Threads parsing at once; further jobs wait for a free thread. */
  threads: number;
  /** Wall-clock limit per job, from the moment its thread starts on it. */
  timeoutMs: number;
  /** Heap limit per thread (V8 old generation). */
  memoryMb: number;
  /** An idle thread is ended after this long, so an idle worker holds no parser memory. */
  idleMs?: number;
}

interface Thread {
  worker: Worker;
  /** Resolves once the thread has loaded its parsers (tsx compiles them on first start). */
  ready: Promise<void>;
  busy: boolean;
  /** Terminated or crashed: never handed another job. */
  gone: boolean;
  idleTimer?: NodeJS.Timeout;
}

const THREAD_ENTRY = new URL('./thread-entry.mjs', import.meta.url);
const DEFAULT_IDLE_MS = 30_000;

export class ParsePool {
  private readonly threads = new Set<Thread>();
  private readonly waiting: Array<() => void> = [];
  private nextJobId = 1;

  constructor(private readonly options: ParsePoolOptions) {}

  /** Runs one job on a pool thread. `label` names the file in errors; `signal` aborts (and ends the thread). */
  async run<J extends ParseJob>(job: J, opts: { label: string; signal?: AbortSignal }): Promise<ParseJobResult<J>> {
    const thread = await this.acquire();
    try {
      await thread.ready.catch((error) => {
        void this.end(thread);
        throw error;
      });
      return (await this.runOn(thread, job, opts)) as ParseJobResult<J>;
    } finally {
      this.release(thread);
    }
  }

  /** Ends every thread; jobs still running fail. */
  async close(): Promise<void> {
    await Promise.all([...this.threads].map((t) => this.end(t)));
  }

  private async acquire(): Promise<Thread> {
    for (;;) {
      for (const thread of this.threads) {
        if (!thread.busy && !thread.gone) {
          clearTimeout(thread.idleTimer);
          thread.busy = true;
          return thread;
        }
      }
      if (this.threads.size < this.options.threads) {
        const thread = this.spawn();
        thread.busy = true;
        return thread;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(thread: Thread): void {
    thread.busy = false;
    if (thread.gone) this.threads.delete(thread);
    else thread.idleTimer = setTimeout(() => void this.end(thread), this.options.idleMs ?? DEFAULT_IDLE_MS).unref();
    this.waiting.shift()?.();
  }

  private spawn(): Thread {
    const worker = new Worker(THREAD_ENTRY, {
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb },
      stdout: false,
      stderr: false,
    });
    // A parse thread must never be what keeps a process from exiting.
    worker.unref();
    const thread: Thread = { worker, ready: Promise.resolve(), busy: false, gone: false };
    thread.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean }) => {
        if (!message.ready) return;
        worker.off('error', onError);
        worker.off('exit', onExit);
        worker.off('message', onMessage);
        resolve();
      };
      const onError = (error: Error) => reject(new Error(`a parse thread failed to start: ${error.message}`, { cause: error }));
      const onExit = (code: number) => reject(new Error(`a parse thread exited (code ${code}) while starting`));
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
    // Marked gone as soon as it exits for any reason, so it is never handed a job again.
    worker.once('exit', () => {
      thread.gone = true;
      if (!thread.busy) this.threads.delete(thread);
    });
    this.threads.add(thread);
    return thread;
  }

  private runOn(thread: Thread, job: ParseJob, opts: { label: string; signal?: AbortSignal }): Promise<unknown> {
    const { worker } = thread;
    const id = this.nextJobId++;
    return new Promise((resolve, reject) => {
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        opts.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onMessage = (message: { id?: number; ok?: boolean; result?: unknown; error?: SerializedError }) => {
        if (message.id !== id) return;
        settle(() => (message.ok ? resolve(message.result) : reject(Object.assign(new Error(message.error!.message), message.error))));
      };
      const onError = (error: Error & { code?: string }) => {
        thread.gone = true;
        settle(() => reject(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? this.outOfMemory(opts.label) : error));
      };
      const onExit = (code: number) => {
        thread.gone = true;
        settle(() => reject(new Error(`the parse thread for ${opts.label} exited (code ${code}) before finishing`)));
      };
      // A thread stuck in a parse cannot be interrupted, only ended; the pool starts a fresh one when needed.
      const stop = (error: Error) => {
        void this.end(thread);
        settle(() => reject(error));
      };
      const onAbort = () => stop(opts.signal!.reason ?? new Error(`parsing ${opts.label} was cancelled`));
      const timer = setTimeout(() => stop(this.timedOut(opts.label)), this.options.timeoutMs);
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage({ id, job });
    });
  }

  private async end(thread: Thread): Promise<void> {
    thread.gone = true;
    clearTimeout(thread.idleTimer);
    if (!thread.busy) this.threads.delete(thread);
    await thread.worker.terminate().catch(() => {});
  }

  private timedOut(label: string): DocumentError {
    const seconds = this.options.timeoutMs / 1000;
    return new DocumentError(
      'parse_timeout',
      label,
      `took longer than the ${seconds.toLocaleString('en-US')} s limit to parse, so its parse was stopped`,
      'Split or simplify the file; if it is genuine, raise ingest.parse_timeout_ms',
    );
  }

  private outOfMemory(label: string): DocumentError {
    return new DocumentError(
      'parse_out_of_memory',
      label,
      `needed more than the ${this.options.memoryMb.toLocaleString('en-US')} MB memory limit to parse, so its parse was stopped`,
      'Split the file into smaller ones; if it is genuine, raise ingest.parse_memory_mb',
    );
  }
}
