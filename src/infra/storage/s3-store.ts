// Objects in an S3 bucket (AWS or any S3-compatible server), under an optional key prefix. Writes go through
// lib-storage's Upload: one PUT for small bodies, a multipart upload for large ones, and S3 makes either visible
// only once complete, so a reader never sees half an object.
import { type Readable, Transform } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { assertValidKey, ObjectNotFoundError, type ObjectBody, type ObjectInfo, type ObjectStore } from './object-store';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing `/` ('' for the bucket's root). */
  prefix: string;
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  private readonly client: S3Client;

  constructor(private readonly options: S3StoreOptions) {
    this.url = `s3://${options.bucket}${options.prefix ? `/${options.prefix}` : ''}`;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint || undefined,
      forcePathStyle: options.forcePathStyle,
      // Empty keys: the SDK's own chain (AWS_* variables, shared profile, instance role) finds them.
      credentials: options.accessKeyId ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } : undefined,
    });
  }

  locate(key: string): string {
    return `${this.url}/${key}`;
  }

  private fullKey(key: string): string {
    assertValidKey(key);
    return this.options.prefix ? `${this.options.prefix}/${key}` : key;
  }

  async put(key: string, body: ObjectBody, options: { contentType?: string } = {}): Promise<ObjectInfo> {
    const Key = this.fullKey(key);
    const whole = typeof body === 'string' || body instanceof Uint8Array;
    let size = whole ? Buffer.byteLength(body) : 0;
    const counted = whole
      ? body
      : body.pipe(
          new Transform({
            transform(chunk: Buffer, _encoding, done) {
              size += chunk.length;
              done(null, chunk);
            },
          }),
        );
    // A failing source stream must fail the upload (pipe alone would leave it waiting).
    if (counted !== body) (body as Readable).once('error', (err) => (counted as Transform).destroy(err));
    await this.call(key, () =>
      new Upload({ client: this.client, params: { Bucket: this.options.bucket, Key, Body: counted, ContentType: options.contentType } }).done(),
    );
    return { key, size, lastModified: new Date() };
  }

  async get(key: string): Promise<Readable> {
    const response = await this.call(key, () => this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.fullKey(key) })));
    if (response === null) throw new ObjectNotFoundError(this.url, key);
    return response.Body as Readable;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const response = await this.call(key, () => this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.fullKey(key) })));
    return response === null ? null : { key, size: response.ContentLength ?? 0, lastModified: response.LastModified ?? new Date(0) };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const base = this.options.prefix ? `${this.options.prefix}/` : '';
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput | null = await this.call(prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: base + prefix, ContinuationToken: token })),
      );
      for (const object of page?.Contents ?? []) {
        if (!object.Key) continue;
        out.push({ key: object.Key.slice(base.length), size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) });
      }
      token = page?.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    await this.call(key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.fullKey(key) })));
  }

  close(): void {
    this.client.destroy();
  }

  /**
   * Runs one S3 call: a missing object is `null`; a missing bucket or refused credentials become an error that
   * names the setting to fix, since neither gets better by retrying.
   */
  private async call<T>(key: string, send: () => Promise<T>): Promise<T | null> {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof S3ServiceException)) throw err;
      if (err.name === 'NoSuchBucket') {
        throw new Error(
          `the bucket "${this.options.bucket}" of storage.url ${this.url} does not exist${this.atEndpoint()}: create it, or set storage.url to an existing bucket`,
          { cause: err },
        );
      }
      if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied'].includes(err.name)) {
        throw new Error(
          `the object store ${this.url}${this.atEndpoint()} refused "${key}" (${err.name}): check storage.access_key_id and storage.secret_access_key`,
          { cause: err },
        );
      }
      if (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404) return null;
      throw err;
    }
  }

  private atEndpoint(): string {
    return this.options.endpoint ? ` at ${this.options.endpoint}` : '';
  }
}
