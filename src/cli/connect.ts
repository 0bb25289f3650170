// Connections a command needs, opened late (heavy modules load only when a command uses them, so `--help` and
// the file commands start fast) and closed when the command is done. A server that cannot be reached is a
// CliError naming the address and how to start or point at it.
import type { Client } from '@temporalio/client';
import type { DatacreekConfig } from '../infra/config';
import type { Database } from '../infra/db';
import { databaseUrlOf } from '../infra/db';
import { CliError, EXIT } from './output';

export async function openDatabase(config: DatacreekConfig): Promise<Database> {
  const { connectDatabase } = await import('../infra/db');
  const url = databaseUrlOf(config);
  const database = connectDatabase(url, { poolSize: 2 });
  try {
    await database.sql`select 1`;
  } catch (err) {
    await database.close().catch(() => {});
    const { redactUrl } = await import('../infra/config');
    throw new CliError(
      `Cannot reach PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`,
      EXIT.failure,
      config.database.url
        ? 'Check DATABASE_URL / database.url, and that the server runs.'
        : 'Start the local stack (datacreek dev), or set DATABASE_URL to a running server.',
    );
  }
  return database;
}

export async function openTemporal(config: DatacreekConfig): Promise<Client> {
  const { connectTemporalClient } = await import('../client');
  try {
    return await connectTemporalClient(config);
  } catch (err) {
    throw new CliError(
      `Cannot reach Temporal at ${config.temporal.address}: ${(err as Error).message}`,
      EXIT.failure,
      'Start the local stack (datacreek dev), or set TEMPORAL_ADDRESS / temporal.address to a running server.',
    );
  }
}

export async function withDatabase<T>(config: DatacreekConfig, run: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(config);
  try {
    return await run(database);
  } finally {
    await database.close().catch(() => {});
  }
}

export async function withTemporal<T>(config: DatacreekConfig, run: (client: Client) => Promise<T>): Promise<T> {
  const client = await openTemporal(config);
  try {
    return await run(client);
  } finally {
    await client.connection.close().catch(() => {});
  }
}

/** The dataset row a command works on; exit 4 when there is none. */
export async function requireDataset(database: Database, datasetId: string): Promise<{ id: string; ownerId: string; type: string; status: string }> {
  const [row] = await database.sql<{ id: string; owner_id: string; type: string; status: string }[]>`
    select id, owner_id, type, status from datasets where id = ${datasetId}`;
  if (!row) {
    throw new CliError(
      `dataset "${datasetId}" not found`,
      EXIT.notFound,
      `List datasets with \`datacreek datasets list\`, or create it by ingesting: datacreek ingest <path> --dataset ${datasetId}`,
    );
  }
  return { id: row.id, ownerId: row.owner_id, type: row.type, status: row.status };
}
