// Serves the API over HTTP with @hono/node-server. Connections the caller did not pass in (PostgreSQL, Temporal)
// are opened here and closed again by close().
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { connectTemporalClient } from '../client';
import type { DatacreekConfig } from '../infra/config';
import { connectDatabase } from '../infra/db';
import { createApp } from './app';
import type { ApiDeps } from './context';
import { createApiLogger } from './logger';

export interface RunningApiServer {
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  server: ServerType;
  /** Stops accepting requests, waits for those in flight, then closes the connections opened here. */
  close(): Promise<void>;
}

export async function startApiServer(
  config: DatacreekConfig,
  deps: Partial<Omit<ApiDeps, 'config'>> & { databaseUrl?: string } = {},
): Promise<RunningApiServer> {
  const opened: Array<() => Promise<void>> = [];
  const database = deps.database ?? connectDatabase(deps.databaseUrl ?? config.database.url, { poolSize: config.database.pool_size });
  if (!deps.database) opened.push(() => database.close());
  let temporal = deps.temporal;
  if (!temporal) {
    try {
      temporal = await connectTemporalClient(config);
    } catch (err) {
      await Promise.all(opened.map((close) => close()));
      throw new Error(
        `Cannot reach Temporal at ${config.temporal.address}: ${(err as Error).message}. Start it (datacreek dev) or set temporal.address / TEMPORAL_ADDRESS.`,
      );
    }
    const connection = temporal.connection;
    opened.push(() => connection.close());
  }
  const logger = deps.logger ?? createApiLogger(config);
  const app = createApp({ config, database, temporal, logger, vectorTables: deps.vectorTables });

  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.api.host, port: config.api.port }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host;
  const url = `http://${host}:${port}`;
  logger.info({ url }, 'datacreek API listening');

  return {
    url,
    port,
    server,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const close of opened.reverse()) await close().catch(() => {});
    },
  };
}
