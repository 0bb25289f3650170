export * from './object-store';
export { LocalObjectStore } from './local-store';
export { S3ObjectStore, type S3StoreOptions } from './s3-store';
export * from './location';
export * from './keys';
export { putDirectory } from './files';
