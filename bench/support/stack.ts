// The real services a build benchmark runs against, started fresh on free ports in a directory of this run's own
// (like tests/support/global-setup.ts) and stopped at the end: a Temporal dev server, a PostgreSQL cluster with the
// project's migrations, and the project's test LLM server. Nothing is shared with a developer's own stack.
import { rmSync } from 'node:fs';
import { migrateDatabase } from '../../src/infra/db/client';
import { freshRunDir, startRunPostgres, startRunTemporal, type RunTemporal } from '../../testkit/services';
export { freePort } from '../../src/infra/services/free-port';

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
  const runDir = freshRunDir('bench', `${name}-${process.pid}`);
  const pg = await startRunPostgres(runDir, 'datacreek_bench');
  let temporal: RunTemporal | undefined;
  try {
    await migrateDatabase(pg.url);
    temporal = await startRunTemporal(runDir, opts);
  } catch (err) {
    pg.stop();
    throw err;
  }
  return {
    runDir,
    temporalAddress: temporal.address,
    databaseUrl: pg.url,
    stop: async () => {
      await temporal?.stop();
      pg.stop();
      if (!process.env.KEEP_BENCH_DATA) rmSync(runDir, { recursive: true, force: true });
    },
  };
}
