// PostgreSQL: the drizzle schema (the truth for every table) and the connection with its migrations.
export * from './client';
export * from './schema';
export * from './url';
