// storage.url → the object store it names, and where LanceDB lives next to it.
import type { DatacreekConfig } from '../config';
import { LocalObjectStore } from './local-store';
import type { ObjectStore } from './object-store';
import { S3ObjectStore } from './s3-store';

type StorageConfig = DatacreekConfig['storage'];

export type StorageLocation = { kind: 'file'; dir: string } | { kind: 's3'; bucket: string; prefix: string };

/** Parses a loaded config's storage.url (a `file:` folder is already absolute after loadConfig). */
export function parseStorageUrl(url: string): StorageLocation {
  if (url.startsWith('file:')) return { kind: 'file', dir: url.slice('file:'.length) };
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new Error(`storage.url "${url}" is neither file:<directory> nor s3://<bucket>/<prefix>`);
  return { kind: 's3', bucket: match[1], prefix: match[2].replace(/^\/+|\/+$/g, '') };
}

export function openObjectStore(storage: StorageConfig): ObjectStore {
  const location = parseStorageUrl(storage.url);
  if (location.kind === 'file') return new LocalObjectStore(location.dir);
  return new S3ObjectStore({
    bucket: location.bucket,
    prefix: location.prefix,
    endpoint: storage.endpoint,
    region: storage.region,
    accessKeyId: storage.access_key_id,
    secretAccessKey: storage.secret_access_key,
    forcePathStyle: storage.force_path_style,
  });
}

/** Where LanceDB connects, with the object-store options its native S3 client takes (all strings). */
export interface LanceLocation {
  uri: string;
  storageOptions?: Record<string, string>;
}

/**
 * A bucket store keeps LanceDB at `<prefix>/lancedb` in the same bucket, so every worker and API node searches and
 * deletes the same tables; a local store keeps it at paths.lancedb_dir, where it has always been.
 */
export function lanceLocation(config: Pick<DatacreekConfig, 'storage' | 'paths'>): LanceLocation {
  const location = parseStorageUrl(config.storage.url);
  if (location.kind === 'file') return { uri: config.paths.lancedb_dir };
  const { storage } = config;
  const options: Record<string, string> = { region: storage.region };
  if (storage.endpoint) {
    options.endpoint = storage.endpoint;
    // Lance refuses plain-HTTP endpoints unless told; a self-hosted server on a private network often is one.
    if (storage.endpoint.startsWith('http://')) options.allow_http = 'true';
  }
  if (storage.access_key_id) {
    options.aws_access_key_id = storage.access_key_id;
    options.aws_secret_access_key = storage.secret_access_key;
  }
  // Lance's own default addressing suits AWS; a path-style server needs it said, as the SDK's forcePathStyle does.
  if (storage.force_path_style) options.virtual_hosted_style_request = 'false';
  return { uri: `s3://${location.bucket}/${location.prefix ? `${location.prefix}/` : ''}lancedb`, storageOptions: options };
}
