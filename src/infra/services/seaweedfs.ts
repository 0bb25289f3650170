// A private SeaweedFS (`weed server` with its S3 gateway) on free ports in a folder of its own: the real
// S3-compatible server that the object-storage tests and local multi-machine runs use. SeaweedFS is Apache-2.0 and
// comes as one binary from a registry package (scripts/install-seaweedfs.sh).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { PROJECT_ROOT } from '../config';
import { freePort } from './free-port';

/** $DATACREEK_WEED_PATH, then the project's .tools/bin/weed, then `weed` on PATH. */
export function findWeed(toolsDir = path.join(PROJECT_ROOT, '.tools')): string {
  const candidates = [process.env.DATACREEK_WEED_PATH, path.join(toolsDir, 'bin', 'weed')].filter(Boolean) as string[];
  for (const c of candidates) if (existsSync(c)) return path.resolve(c);
  const which = spawnSync('sh', ['-c', 'command -v weed'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  throw new Error('SeaweedFS (weed) not found. Run `bash scripts/install-seaweedfs.sh` (installs it into .tools/bin) or set DATACREEK_WEED_PATH.');
}

export interface SeaweedFsHandle {
  /** The S3 endpoint, e.g. http://127.0.0.1:41234. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The settings that point datacreek's `storage` section at `bucket` on this server. */
  storageConfig(
    bucket: string,
    prefix?: string,
  ): {
    url: string;
    endpoint: string;
    region: string;
    access_key_id: string;
    secret_access_key: string;
    force_path_style: boolean;
  };
  /** Stops the server and removes its folder and sockets. */
  stop(): Promise<void>;
}

export interface SeaweedFsOptions {
  /** Buckets created once the server answers. */
  buckets?: string[];
  /** Parent of the server's own temporary folder (default: the OS temp folder). */
  parentDir?: string;
}

export async function startSeaweedFs(options: SeaweedFsOptions = {}): Promise<SeaweedFsHandle> {
  const weed = findWeed();
  const dir = await mkdtemp(path.join(options.parentDir ?? os.tmpdir(), 'datacreek-seaweedfs-'));
  const accessKeyId = 'datacreek-test';
  const secretAccessKey = `secret-${path.basename(dir)}`;
  // The S3 gateway accepts only this identity, so the tests exercise real request signing.
  writeFileSync(
    path.join(dir, 's3.json'),
    JSON.stringify({
      identities: [
        { name: 'datacreek', credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] },
      ],
    }),
  );
  const ports = {
    master: await freePort(),
    masterGrpc: await freePort(),
    volume: await freePort(),
    volumeGrpc: await freePort(),
    filer: await freePort(),
    filerGrpc: await freePort(),
    s3: await freePort(),
    s3Grpc: await freePort(),
  };
  const log = openSync(path.join(dir, 'weed.log'), 'a');
  const child = spawn(
    weed,
    [
      'server',
      `-dir=${dir}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-master.port=${ports.master}`,
      `-master.port.grpc=${ports.masterGrpc}`,
      // Small volumes: the default 30 GB limit preallocates far more than a test writes.
      '-master.volumeSizeLimitMB=64',
      '-volume.max=0',
      `-volume.port=${ports.volume}`,
      `-volume.port.grpc=${ports.volumeGrpc}`,
      '-filer',
      `-filer.port=${ports.filer}`,
      `-filer.port.grpc=${ports.filerGrpc}`,
      `-filer.localSocket=${path.join(dir, 'filer.sock')}`,
      '-s3',
      `-s3.port=${ports.s3}`,
      `-s3.port.grpc=${ports.s3Grpc}`,
      `-s3.config=${path.join(dir, 's3.json')}`,
      // Iceberg and Lance catalog servers are not needed and would take fixed ports.
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
    ],
    { stdio: ['ignore', log, log], env: { ...process.env, TMPDIR: dir } },
  );
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const region = 'us-east-1';
  const endpoint = `http://127.0.0.1:${ports.s3}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    // Some of weed's unix sockets ignore TMPDIR and go to /tmp, named by port.
    for (const [name, port] of [
      ['master-grpc', ports.masterGrpc],
      ['volume-grpc', ports.volumeGrpc],
      ['s3', ports.s3],
      ['s3-grpc', ports.s3Grpc],
      ['filer', ports.filer],
      ['filer-grpc', ports.filerGrpc],
    ] as const) {
      rmSync(`/tmp/seaweedfs-${name}-${port}.sock`, { force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
  try {
    // Ready once the gateway creates a bucket (the filer behind it starts a moment after the port opens).
    const deadline = Date.now() + 60_000;
    for (const bucket of options.buckets?.length ? options.buckets : [null]) {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`weed exited with code ${child.exitCode}`);
        try {
          if (bucket) await client.send(new CreateBucketCommand({ Bucket: bucket }));
          else await fetch(endpoint).then((r) => r.body?.cancel());
          break;
        } catch (err) {
          if ((err as { name?: string }).name === 'BucketAlreadyOwnedByYou') break;
          // A bucket name S3 refuses will not become valid by waiting.
          if ((err as { name?: string }).name === 'InvalidBucketName') {
            throw new Error(`"${bucket}" is not a valid S3 bucket name: use 3 to 63 lowercase letters, digits, dots or hyphens`);
          }
          if (Date.now() > deadline) throw new Error(`SeaweedFS at ${endpoint} did not become ready within 60 s: ${String(err)}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
  } catch (err) {
    const logTail = readFileSync(path.join(dir, 'weed.log'), 'utf8').split('\n').slice(-15).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\nlast lines of weed's log:\n${logTail}`, { cause: err });
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    region,
    storageConfig: (bucket, prefix = '') => ({
      url: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
      endpoint,
      region,
      access_key_id: accessKeyId,
      secret_access_key: secretAccessKey,
      force_path_style: true,
    }),
    stop,
  };
}
