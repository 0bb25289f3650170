// One postgres.js pool per process, with drizzle on top. Bulk writes use `sql` directly (several times faster
// than the query builder for thousands of rows); everything else goes through drizzle.
import path from 'node:path';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { PROJECT_ROOT } from '../config';
import * as schema from './schema';

export type Sql = postgres.Sql;
export type Db = PostgresJsDatabase<typeof schema>;
export interface Database {
  sql: Sql;
  db: Db;
  close(): Promise<void>;
}

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'drizzle');

export function connectDatabase(url: string, opts: { poolSize?: number } = {}): Database {
  if (!url) throw new Error('No database URL: set DATABASE_URL or database.url, or start the local stack with `datacreek dev`.');
  const options = {
    onnotice: () => {},
    // Idle connections are dropped so a restarted PostgreSQL is reconnected to transparently.
    idle_timeout: 30,
    connect_timeout: 10,
  };
  const poolSize = opts.poolSize ?? 10;
  const sql = postgres(url, { ...options, max: poolSize });
  // drizzle replaces its client's json/jsonb and date serializers with pass-throughs (it serializes itself),
  // which would break `sql.json(...)` in raw queries: so drizzle gets a pool of its own.
  const drizzleClient = postgres(url, { ...options, max: Math.max(2, Math.ceil(poolSize / 2)) });
  const db = drizzle(drizzleClient, { schema });
  return {
    sql,
    db,
    close: async () => {
      await Promise.all([sql.end({ timeout: 5 }), drizzleClient.end({ timeout: 5 })]);
    },
  };
}

/** Applies the committed migrations in drizzle/; safe to run at every start. */
export async function migrateDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
