// Starts the real services the integration tests run against, once per test run, and stops what it started:
// a Temporal dev server and a PostgreSQL cluster (or TEST_DATABASE_URL's server), on free ports and in a
// directory of this run's own, so that two runs on one machine never share or stop each other's servers.
import { rmSync } from 'node:fs';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../../src/infra/db/client';
import { freshRunDir, startRunPostgres, startRunTemporal } from '../../testkit/services';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    testDataDir: string;
  }
}

export default async function setup(project: TestProject) {
  const runDir = freshRunDir('test', `run-${process.pid}`);

  let stopTemporal = async () => {};
  let temporalAddress = process.env.TEST_TEMPORAL_ADDRESS;
  if (!temporalAddress) {
    // Low, so continue-as-new really happens in tests.
    const temporal = await startRunTemporal(runDir, { suggestContinueAsNewAt: 60 });
    temporalAddress = temporal.address;
    stopTemporal = temporal.stop;
  }

  let stopPostgres = () => {};
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const pg = await startRunPostgres(runDir, 'postgres');
    serverUrl = pg.url;
    stopPostgres = () => {
      pg.stop();
      // The cluster may live outside runDir (see reachableDataDir in src/infra/services/local-postgres.ts).
      if (!process.env.KEEP_TEST_DATA) rmSync(pg.dataDir, { recursive: true, force: true });
    };
  }
  const dbName = `datacreek_test_${process.pid}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.unsafe(`create database ${dbName}`);
  await admin.end();
  const databaseUrl = serverUrl.replace(/\/[^/?]*(\?|$)/, `/${dbName}$1`);
  await migrateDatabase(databaseUrl);

  project.provide('temporalAddress', temporalAddress);
  project.provide('databaseUrl', databaseUrl);
  project.provide('testDataDir', runDir);

  return async () => {
    await stopTemporal();
    stopPostgres();
    if (!process.env.KEEP_TEST_DATA) rmSync(runDir, { recursive: true, force: true });
  };
}
