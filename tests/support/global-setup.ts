// Starts the real services the integration tests run against, once per test run, and stops what it started:
// a Temporal dev server (its own port and database file) and PostgreSQL (TEST_DATABASE_URL when given,
// otherwise a local cluster under .data/test). Each run gets a fresh database, migrated from drizzle/.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../src/config/load';
import { migrateDatabase } from '../../src/db/client';
import { ensureLocalPostgres } from '../../src/services/local-postgres';
import { ensureTemporalDevServer } from '../../src/services/temporal-dev-server';

export const TEST_DATA_DIR = path.join(PROJECT_ROOT, '.data', 'test');

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    testDataDir: string;
  }
}

export default async function setup(project: TestProject) {
  mkdirSync(TEST_DATA_DIR, { recursive: true });
  const temporalAddress = process.env.TEST_TEMPORAL_ADDRESS ?? '127.0.0.1:7243';
  const temporalDb = path.join(TEST_DATA_DIR, 'temporal.db');
  rmSync(temporalDb, { force: true });
  const temporal = await ensureTemporalDevServer({
    dbFile: temporalDb,
    address: temporalAddress,
    uiPort: 8243,
    logFile: path.join(TEST_DATA_DIR, 'temporal.log'),
    // Low, so continue-as-new really happens in tests (DESIGN.md decision 6).
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 },
  });

  let stopPostgres = () => {};
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const pg = await ensureLocalPostgres({ dataDir: path.join(TEST_DATA_DIR, 'postgres'), port: 54339, database: 'postgres' });
    serverUrl = pg.url;
    if (pg.startedHere) stopPostgres = pg.stop;
  }
  const dbName = 'datacreek_test';
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.unsafe(`create database ${dbName}`);
  await admin.end();
  const databaseUrl = serverUrl.replace(/\/[^/?]*(\?|$)/, `/${dbName}$1`);
  await migrateDatabase(databaseUrl);

  project.provide('temporalAddress', temporalAddress);
  project.provide('databaseUrl', databaseUrl);
  project.provide('testDataDir', TEST_DATA_DIR);

  return async () => {
    await temporal.stop();
    stopPostgres();
  };
}
