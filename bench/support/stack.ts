// The real services a build benchmark runs against, started fresh on free ports in a directory of this run's own
// (like tests/support/global-setup.ts) and stopped at the end: a Temporal dev server, a PostgreSQL cluster with the
// project's migrations, and the project's test LLM server. Nothing is shared with a developer's own stack.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/infra/config/load';
import { migrateDatabase } from '../../src/infra/db/client';
import { ensureLocalPostgres } from '../../src/infra/services/local-postgres';
import { ensureTemporalDevServer } from '../../src/infra/services/temporal-dev-server';
export { freePort } from '../../src/infra/services/free-port';
import { freePort } from '../../src/infra/services/free-port';

export interface BenchServices {
  /** Everything of this run lives here (PostgreSQL data, Temporal history, LanceDB, logs). */
  runDir: string;
  temporalAddress: string;
  databaseUrl: string;
  stop(): Promise<void>;
}


/**
 * Starts Temporal and PostgreSQL for one benchmark. `suggestContinueAsNewAt` lowers Temporal's
 * continue-as-new suggestion so a benchmark of a few minutes exercises it as a long build would.
 */
export async function startBenchServices(name: string, opts: { suggestContinueAsNewAt?: number } = {}): Promise<BenchServices> {
  const runDir = path.join(PROJECT_ROOT, '.data', 'bench', `${name}-${process.pid}`);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const temporalAddress = `127.0.0.1:${await freePort()}`;
  const pg = await ensureLocalPostgres({ dataDir: path.join(runDir, 'postgres'), port: await freePort(), database: 'datacreek_bench' });
  let temporal: Awaited<ReturnType<typeof ensureTemporalDevServer>> | undefined;
  try {
    await migrateDatabase(pg.url);
    temporal = await ensureTemporalDevServer({
      dbFile: path.join(runDir, 'temporal.db'),
      address: temporalAddress,
      uiPort: await freePort(),
      logFile: path.join(runDir, 'temporal.log'),
      dynamicConfig: opts.suggestContinueAsNewAt ? { 'limit.historyCount.suggestContinueAsNew': opts.suggestContinueAsNewAt } : {},
    });
  } catch (err) {
    pg.stop();
    throw err;
  }
  return {
    runDir,
    temporalAddress,
    databaseUrl: pg.url,
    stop: async () => {
      await temporal?.stop();
      pg.stop();
      if (!process.env.KEEP_BENCH_DATA) rmSync(runDir, { recursive: true, force: true });
    },
  };
}
