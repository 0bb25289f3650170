// What the API needs from outside (injected, so tests mount the app on their own servers) and what each request
// carries through the middleware chain.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { VectorTables } from '../client';
import type { AuthenticatedUser } from '../infra/auth';
import type { DatacreekConfig } from '../infra/config';
import type { Database } from '../infra/db';
import type { ObjectStore } from '../infra/storage';

export interface ApiDeps {
  config: DatacreekConfig;
  database: Database;
  temporal: Client;
  /** Defaults to a pino logger at config.log_level with secrets redacted. */
  logger?: Logger;
  /** Defaults to the configured LanceDB (storage.url or paths.lancedb_dir), opened on first use. */
  vectorTables?: () => Promise<VectorTables>;
  /** Defaults to the store at storage.url: uploads are saved there, exports and reports are served from it. */
  objectStore?: () => ObjectStore;
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
