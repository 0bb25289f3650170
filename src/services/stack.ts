// The whole local stack in one process tree: Temporal dev server (persisted), PostgreSQL (the configured
// server, or a local cluster under the data dir), migrations, a worker and, when asked, the HTTP API.
// Starting it again resumes where it stopped: both servers keep their data under paths.data_dir.
import path from 'node:path';
import type { DatacreekConfig } from '../config/schema';
import { migrateDatabase } from '../db/client';
import { ensureLocalPostgres } from './local-postgres';
import { ensureTemporalDevServer, type DevServerHandle } from './temporal-dev-server';

export interface Services {
  databaseUrl: string;
  temporal: DevServerHandle;
  stop(): Promise<void>;
}

/** Brings up Temporal and PostgreSQL (whatever is not already running) and applies migrations. */
export async function ensureServices(
  config: DatacreekConfig,
  opts: { log?: (msg: string) => void; dynamicConfig?: Record<string, string | number | boolean> } = {},
): Promise<Services> {
  const log = opts.log ?? (() => {});
  const dataDir = config.paths.data_dir;
  let databaseUrl = config.database.url;
  let stopPostgres = () => {};
  if (!databaseUrl) {
    const pg = await ensureLocalPostgres({ dataDir: path.join(dataDir, 'postgres'), port: config.database.local_port });
    databaseUrl = pg.url;
    if (pg.startedHere) stopPostgres = pg.stop;
    log(`PostgreSQL: ${pg.url} (data in ${pg.dataDir}${pg.startedHere ? '' : ', already running'})`);
  } else {
    log('PostgreSQL: using database.url / DATABASE_URL');
  }
  await migrateDatabase(databaseUrl);
  log('PostgreSQL: migrations applied');

  let temporal: DevServerHandle;
  if (config.temporal.start_dev_server) {
    temporal = await ensureTemporalDevServer({
      dbFile: path.join(dataDir, 'temporal.db'),
      address: config.temporal.address,
      uiPort: config.temporal.ui_port,
      namespace: config.temporal.namespace,
      dynamicConfig: opts.dynamicConfig,
      logFile: path.join(dataDir, 'temporal.log'),
    });
    log(
      `Temporal: ${config.temporal.address}${temporal.startedHere ? ' (dev server started, history in ' + path.join(dataDir, 'temporal.db') + ')' : ' (already running)'}; Web UI ${config.temporal.ui_url}`,
    );
  } else {
    temporal = { address: config.temporal.address, startedHere: false, stop: async () => {} };
  }
  return {
    databaseUrl,
    temporal,
    stop: async () => {
      await temporal.stop();
      stopPostgres();
    },
  };
}
