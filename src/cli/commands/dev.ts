// `datacreek dev` (the whole local stack) and `datacreek worker` (a worker alone, for production).
import type { Command } from 'commander';
import { redactConfig } from '../../config/load';
import { migrateDatabase } from '../../db/client';
import { redactUrl } from '../../config/load';
import { ensureServices } from '../../services/stack';
import { startWorker } from '../../worker/worker';
import { configFor } from '../output';
import { runDemo } from './demo';

export function registerDevCommands(program: Command): void {
  program
    .command('dev')
    .description('start the local stack: Temporal dev server + Web UI, PostgreSQL, migrations, a worker (Ctrl-C stops it all)')
    .option('--demo', 'once the stack is up, run the demo job on the bundled sample document (samples/)')
    .action(async (opts: { demo?: boolean }, cmd: Command) => {
      const config = configFor(cmd);
      const log = (m: string) => console.log(`[dev] ${m}`);
      const services = await ensureServices(config, { log });
      const worker = await startWorker(config, { databaseUrl: services.databaseUrl });
      log(`worker: polling task queue "${config.temporal.task_queue}"`);
      log(`ready. Temporal Web UI: ${config.temporal.ui_url}  (Ctrl-C to stop)`);
      if (opts.demo) {
        runDemo(config, log).catch((err) => log(`demo failed: ${(err as Error).message}`));
      }
      await waitForStop(async () => {
        log('stopping …');
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
      await migrateDatabase(config.database.url);
      console.log(`migrations applied to ${redactUrl(config.database.url)}`);
    });

  program
    .command('worker')
    .description('run a worker against the configured Temporal server and database (production)')
    .action(async (_opts, cmd: Command) => {
      const config = configFor(cmd);
      console.log(`[worker] config: ${JSON.stringify(redactConfig(config).temporal)}`);
      const worker = await startWorker(config);
      console.log(`[worker] polling task queue "${config.temporal.task_queue}" at ${config.temporal.address}`);
      await worker.done;
    });
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
