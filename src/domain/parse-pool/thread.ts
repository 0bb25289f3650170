// A parse thread: takes one job at a time from the pool, runs it, and posts back the result or the error. It runs
// in its own V8 isolate, with its own heap limit, so a hostile file can block or exhaust only this thread.
import { parentPort } from 'node:worker_threads';
import { runParseJob, serializeError, type ParseJob } from './jobs';

parentPort!.on('message', async (message: { id: number; job: ParseJob }) => {
  try {
    const result = await runParseJob(message.job);
    parentPort!.postMessage({ id: message.id, ok: true, result });
  } catch (error) {
    parentPort!.postMessage({ id: message.id, ok: false, error: serializeError(error) });
  }
});
parentPort!.postMessage({ ready: true });
