// The Temporal client the API and the CLI start and steer workflows with.
export * from './temporal';
export * from './unique-suffix';
