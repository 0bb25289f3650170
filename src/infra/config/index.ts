// Configuration: the one zod schema with its types, and loading it from configs/config.yaml, a file and the environment.
export * from './load';
export * from './schema';
