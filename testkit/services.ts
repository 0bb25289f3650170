// The Temporal dev server and PostgreSQL cluster that a test run or a benchmark starts for itself: on free ports and
// in a directory of the run's own, so that two runs on one machine never share or stop each other's servers.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/infra/config/load';
import { freePort } from '../src/infra/services/free-port';
import { ensureLocalPostgres } from '../src/infra/services/local-postgres';
import { ensureTemporalDevServer } from '../src/infra/services/temporal-dev-server';

/** An empty `.data/<area>/<name>` for one run (a leftover of an earlier run of the same name is removed). */
export function freshRunDir(area: string, name: string): string {
  const runDir = path.join(PROJECT_ROOT, '.data', area, name);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  return runDir;
}

export interface RunTemporal {
  address: string;
  stop(): Promise<void>;
}

/**
 * A Temporal dev server keeping its history in `runDir`. `suggestContinueAsNewAt` lowers the history length at
 * which Temporal suggests continue-as-new, so a short run exercises it as a long build would.
 */
export async function startRunTemporal(runDir: string, opts: { suggestContinueAsNewAt?: number } = {}): Promise<RunTemporal> {
  const address = `127.0.0.1:${await freePort()}`;
  const server = await ensureTemporalDevServer({
    dbFile: path.join(runDir, 'temporal.db'),
    address,
    uiPort: await freePort(),
    logFile: path.join(runDir, 'temporal.log'),
    dynamicConfig: opts.suggestContinueAsNewAt ? { 'limit.historyCount.suggestContinueAsNew': opts.suggestContinueAsNewAt } : {},
  });
  return { address, stop: server.stop };
}

/** A PostgreSQL cluster under `runDir` (or where the local user can reach, see local-postgres) with `database` created. */
export async function startRunPostgres(runDir: string, database: string) {
  return ensureLocalPostgres({ dataDir: path.join(runDir, 'postgres'), port: await freePort(), database });
}
