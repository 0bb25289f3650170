// The public face of src/api: other folders import from here.
export * from './server';
