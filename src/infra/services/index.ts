// Local services for development and tests: PostgreSQL and the Temporal dev server, started, recorded and stopped.
export * from './free-port';
export * from './local-postgres';
export * from './stack';
export * from './stack-record';
export * from './temporal-dev-server';
