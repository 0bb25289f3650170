// The whole local stack in one process tree: Temporal dev server (persisted), PostgreSQL (the configured
// server, or a local cluster under the data dir), migrations, a worker and, when asked, the HTTP API.
// Starting it again resumes where it stopped: both servers keep their data under paths.data_dir.
// What it starts is recorded in <data_dir>/dev-stack.json (see stack-record.ts): servers a crashed run left
// behind are adopted and stopped with this one, and `datacreek dev --stop` stops a stack from outside.
import path from 'node:path';
import type { DatacreekConfig } from '../config';
import { migrateDatabase } from '../db';
import { ensureLocalPostgres } from './local-postgres';
import { isDatacreekDev, isTemporalDevServer, readStackRecord, removeStackRecord, stopProcess, writeStackRecord, type StackRecord } from './stack-record';
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
  const previous = readStackRecord(dataDir);
  if (previous && previous.ownerPid !== process.pid && isDatacreekDev(previous.ownerPid)) {
    throw new Error(
      `datacreek dev (pid ${previous.ownerPid}) already runs the stack of ${dataDir}. Use that one, stop it with Ctrl-C in its ` +
        'terminal or `datacreek dev --stop`, or give this one another data folder (DATACREEK_PATHS_DATA_DIR).',
    );
  }
  // The record of a run that ended without stopping its servers (killed, crashed; its pid is gone or another
  // program's now): what it started and may still be running is ours to adopt.
  const leftover = previous && previous.ownerPid !== process.pid ? previous : null;
  const owned: StackRecord = { ownerPid: process.pid, startedAt: new Date().toISOString(), api: { port: config.api.port } };
  const record = () => writeStackRecord(dataDir, owned);

  let databaseUrl = config.database.url;
  let stopPostgres = () => {};
  if (!databaseUrl) {
    const pg = await ensureLocalPostgres({ dataDir: path.join(dataDir, 'postgres'), port: config.database.local_port });
    databaseUrl = pg.url;
    const adopted = !pg.startedHere && leftover?.postgres?.dataDir === pg.dataDir;
    if (pg.startedHere || adopted) {
      stopPostgres = pg.stop;
      owned.postgres = { dataDir: pg.dataDir, port: pg.port };
      record();
    }
    const state = pg.startedHere
      ? ''
      : adopted
        ? `, left running by datacreek dev pid ${leftover!.ownerPid}: adopted, stops with this one`
        : ', already running, not ours: left running';
    log(`PostgreSQL: ${pg.url} (data in ${pg.dataDir}${state})`);
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
    const leftTemporal = leftover?.temporal;
    const adopted = !temporal.startedHere && leftTemporal?.address === config.temporal.address && isTemporalDevServer(leftTemporal.pid);
    if (temporal.startedHere && temporal.process?.pid) {
      owned.temporal = { pid: temporal.process.pid, address: config.temporal.address, uiPort: config.temporal.ui_port };
    } else if (adopted) {
      owned.temporal = leftTemporal;
      temporal = { ...temporal, stop: () => stopProcess(leftTemporal.pid) };
    }
    record();
    const state = temporal.startedHere
      ? `dev server started, history in ${path.join(dataDir, 'temporal.db')}`
      : adopted
        ? `left running by datacreek dev pid ${leftover!.ownerPid}: adopted, stops with this one`
        : 'already running, not ours: left running';
    log(`Temporal: ${config.temporal.address} (${state}); Web UI ${config.temporal.ui_url}`);
  } else {
    temporal = { address: config.temporal.address, startedHere: false, stop: async () => {} };
  }
  record();
  return {
    databaseUrl,
    temporal,
    stop: async () => {
      await temporal.stop();
      stopPostgres();
      removeStackRecord(dataDir);
    },
  };
}
