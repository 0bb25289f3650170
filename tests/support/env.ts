// Helpers shared by integration tests: a config pointing at the test services, a worker on its own task
// queue (so test files never pick up each other's workflows), and a Temporal client.
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { mergeDeep } from '../../src/infra/common/deep-merge';
import { loadConfig } from '../../src/infra/config/load';
import type { DatacreekConfig } from '../../src/infra/config/schema';
import { connectDatabase, type Database } from '../../src/infra/db/client';
import { startWorker, type RunningWorker } from '../../src/worker/worker';

export function testConfig(overrides: Record<string, any> = {}): DatacreekConfig {
  const dataDir = mkdtempSync(path.join(inject('testDataDir'), 'run-'));
  const taskQueue = `test-${path.basename(dataDir)}`;
  return loadConfig({
    env: {},
    overrides: mergeDeep(
      {
        temporal: { address: inject('temporalAddress'), task_queue: taskQueue, start_dev_server: false },
        database: { url: inject('databaseUrl'), pool_size: 5 },
        paths: { data_dir: dataDir },
        log_level: 'warn',
      },
      overrides,
    ),
  });
}

export async function testClient(config: DatacreekConfig): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address });
  return new Client({ connection, namespace: config.temporal.namespace });
}

export function testDatabase(config: DatacreekConfig): Database {
  return connectDatabase(config.database.url, { poolSize: 3 });
}

export async function testWorker(config: DatacreekConfig): Promise<RunningWorker> {
  return startWorker(config, { workerOptions: { shutdownGraceTime: '2s' } });
}

/** A dataset id unique to this test run. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}
