// Where PostgreSQL is: database.url, or the local cluster `datacreek dev` runs under the data dir
// (src/infra/services/local-postgres.ts: user `postgres`, trust authentication, on 127.0.0.1).
import type { DatacreekConfig } from '../config';

/** The local cluster's URL: the one place that spells it. */
export const localPostgresUrl = (port: number, database = 'datacreek') => `postgres://postgres@127.0.0.1:${port}/${database}`;

/** database.url, or — when it is empty — database `datacreek` of the local cluster on database.local_port. */
export function databaseUrlOf(config: DatacreekConfig): string {
  return config.database.url || localPostgresUrl(config.database.local_port);
}
