// What the API needs from outside (injected, so tests mount the app on their own servers) and what each request
// carries through the middleware chain.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AuthenticatedUser } from '../infra/auth';
import type { DatacreekConfig } from '../infra/config';
import type { Database } from '../infra/db';

/** The part of the vector store the API uses: dropping a deleted dataset's tables. */
export interface VectorTables {
  listTables(prefix?: string): Promise<string[]>;
  dropTable(name: string): Promise<void>;
}

export interface ApiDeps {
  config: DatacreekConfig;
  database: Database;
  temporal: Client;
  /** Defaults to a pino logger at config.log_level with secrets redacted. */
  logger?: Logger;
  /** Defaults to the LanceDB store at config.paths.lancedb_dir, opened on first use. */
  vectorTables?: () => Promise<VectorTables>;
}

/** The dependencies with every default filled in, as the routers receive them. */
export type ResolvedDeps = Required<ApiDeps>;

export type AppEnv = {
  Variables: {
    requestId: string;
    logger: Logger;
    /** Set by the API-key middleware on every authenticated route. */
    user: AuthenticatedUser;
  };
};
