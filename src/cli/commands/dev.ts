// `datacreek dev` (the whole local stack) and `datacreek worker` (a worker alone, for production).
// The stack's modules load when a command runs, so that every other command starts without loading the worker.
import type { Command } from 'commander';
import { redactConfig } from '../../infra/config';
import { redactUrl } from '../../infra/config';
import { configFor } from '../output';

export function registerDevCommands(program: Command): void {
  program
    .command('dev')
    .description('start the local stack: Temporal dev server + Web UI, PostgreSQL, migrations, a worker, the HTTP API (Ctrl-C stops it all)')
    .option('--demo', 'once the stack is up, run the demo job on the bundled sample document (samples/)')
    .option('--stop', 'stop the stack a `datacreek dev` started on this data folder (one still running, or left behind by a crash)')
    .action(async (opts: { demo?: boolean; stop?: boolean }, cmd: Command) => {
      const config = configFor(cmd);
      if (opts.stop) return stopRecordedDevStack(config.paths.data_dir);
      const { ensureServices } = await import('../../infra/services');
      const { startWorker } = await import('../../worker');
      const { startApiServer } = await import('../../api');
      const log = (m: string) => console.log(`[dev] ${m}`);
      const services = await ensureServices(config, { log });
      const worker = await startWorker(config, { databaseUrl: services.databaseUrl });
      log(`worker: polling task queue "${config.temporal.task_queue}"`);
      let api: Awaited<ReturnType<typeof startApiServer>>;
      try {
        api = await startApiServer(config, { databaseUrl: services.databaseUrl });
      } catch (err) {
        // Leave nothing running behind a failed start (a taken port, most often).
        await worker.shutdown();
        await services.stop();
        throw new Error(
          `the HTTP API could not start on ${config.api.host}:${config.api.port}: ${(err as Error).message}. Free the port or set DATACREEK_API_PORT.`,
        );
      }
      log(`API: ${api.url} (docs ${api.url}/docs)`);
      log(`ready. Temporal Web UI: ${config.temporal.ui_url}  (Ctrl-C to stop)`);
      if (opts.demo) {
        const { runDemo } = await import('./demo');
        runDemo(worker.config, log).catch((err) => log(`demo failed: ${(err as Error).message}`));
      }
      await waitForStop(async () => {
        log('stopping …');
        // The API first, so no request starts work on a worker that is going away.
        await api.close();
        await worker.shutdown();
        await services.stop();
        log('stopped');
      });
    });

  program
    .command('migrate')
    .description('apply the database migrations in drizzle/ to database.url / DATABASE_URL')
    .action(async (_opts, cmd: Command) => {
      const config = configFor(cmd);
      const { migrateDatabase } = await import('../../infra/db');
      await migrateDatabase(config.database.url);
      console.log(`migrations applied to ${redactUrl(config.database.url)}`);
    });

  program
    .command('worker')
    .description('run a worker against the configured Temporal server and database (production)')
    .option('--serve <kinds>', 'kinds of work to serve, comma-separated: workflows, llm, accept, files, or all (default: config worker.serve, all)')
    .action(async (opts: { serve?: string }, cmd: Command) => {
      const config = configFor(cmd);
      console.log(`[worker] config: ${JSON.stringify(redactConfig(config).temporal)}`);
      const { shutdownOnSignals, startWorker } = await import('../../worker');
      const worker = await startWorker(config, { serve: opts.serve, prebuiltWorkflows: true });
      // Ctrl-C / SIGTERM drain running activities (for worker.shutdown_grace_ms) instead of dropping them.
      shutdownOnSignals(worker, (m) => console.log(`[worker] ${m}`));
      const queues = worker.workers.map(({ kind, taskQueue }) => `"${taskQueue}" (${kind})`).join(', ');
      console.log(`[worker] polling task queue${worker.workers.length > 1 ? 's' : ''} ${queues} at ${config.temporal.address}`);
      await worker.done;
    });
}

/** `datacreek dev --stop`: stops what the data folder's stack record names, and says what that was. */
async function stopRecordedDevStack(dataDir: string): Promise<void> {
  const { readStackRecord, stackRecordPath, stopRecordedStack } = await import('../../infra/services');
  const record = readStackRecord(dataDir);
  if (!record) {
    console.log(`[dev] nothing to stop: no stack record at ${stackRecordPath(dataDir)} (datacreek dev stopped cleanly, or never ran on this data folder)`);
    return;
  }
  const stopped = await stopRecordedStack(dataDir, record);
  if (stopped.length === 0) console.log('[dev] nothing was running any more; removed the stale stack record');
  for (const line of stopped) console.log(`[dev] stopped ${line}`);
}

/** Resolves after the first SIGINT/SIGTERM has run `stop`; a second signal exits at once. */
export function waitForStop(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) process.exit(130);
      stopping = true;
      stop().then(resolve, (err) => {
        console.error(err);
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
