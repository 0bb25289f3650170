// Downloads a web document for ingestion: http(s) only, every hop (redirects followed by hand)
// checked by the network guard, the body capped in bytes (after decompression too), and every
// failure reported as a DocumentError naming the URL and why.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { posix } from 'node:path';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { linkedAbort } from '../../infra/common';
import { DocumentError, describeBytes } from './errors';
import { formatFromExtension } from './detect-format';
import { assertPublicIpLiteral, guardedLookup, type NetworkPolicy } from './network-guard';

export interface FetchUrlOptions extends NetworkPolicy {
  /** Refuse bodies larger than this, after decompression (default 50 MB). */
  maxBytes?: number;
  /** Give up after this long for the whole fetch, redirects included (default 30 s). */
  timeoutMs?: number;
  /** Follow at most this many redirects (default 5). */
  maxRedirects?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface FetchedDocument {
  url: string;
  finalUrl: string;
  /** Media type without parameters, lower case (e.g. "text/html"). */
  contentType: string;
  /** The charset parameter of the Content-Type header, if any: pass it as ParseOptions.encoding. */
  charset?: string;
  bytes: Uint8Array;
  /** A file name for the document (from the URL path, extension from the content type when missing). */
  fileName: string;
}

export const DEFAULT_FETCH_MAX_BYTES = 50 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULT_HEADERS = {
  'user-agent': 'Mozilla/5.0 (compatible; datacreek/0.1)',
  accept: 'text/html,application/xhtml+xml,application/pdf,text/plain,text/markdown,*/*;q=0.8',
  'accept-encoding': 'gzip, deflate, br',
};

const EXTENSION_BY_CONTENT_TYPE: Record<string, string> = {
  'text/html': '.html',
  'application/xhtml+xml': '.html',
  'application/pdf': '.pdf',
  'text/plain': '.txt',
  'text/markdown': '.md',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': '.pptx',
};

export async function fetchUrl(url: string, opts: FetchUrlOptions = {}): Promise<FetchedDocument> {
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // One deadline for every hop; linked by hand and unlinked at the end (AbortSignal.any and AbortSignal.timeout
  // signals with listeners are kept by Node for the process's life).
  const fetchAbort = linkedAbort([opts.signal], timeoutMs);
  const { signal } = fetchAbort;
  try {
    let current = parseHttpUrl(url, url);
    for (let redirects = 0; ; redirects++) {
      const response = await request(url, current, opts, signal, timeoutMs);
      const location = response.headers.location;
      if (REDIRECT_STATUSES.has(response.statusCode ?? 0) && location) {
        response.resume(); // the redirect's own body is irrelevant
        if (redirects >= maxRedirects) {
          throw new DocumentError(
            'fetch_failed',
            url,
            `redirects more than ${maxRedirects} times (last hop: ${current.href})`,
            'Use the final address of the page directly',
          );
        }
        current = parseHttpUrl(url, new URL(location, current).href);
        continue;
      }
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        response.resume();
        throw new DocumentError(
          'fetch_failed',
          url,
          `answered HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd() + (current.href === url ? '' : ` (at ${current.href})`),
          status === 404 || status === 410
            ? 'Check the address'
            : status === 401 || status === 403
              ? 'The page needs a login: save it from a browser and ingest the file'
              : 'Try again later',
          { retryable: status === 429 || status >= 500 },
        );
      }
      const bytes = await readBody(url, response, opts.maxBytes ?? DEFAULT_FETCH_MAX_BYTES, signal, timeoutMs);
      const header = response.headers['content-type'] ?? 'application/octet-stream';
      const contentType = header.split(';')[0].trim().toLowerCase();
      const charset = /;\s*charset\s*=\s*"?([\w.:-]+)/i.exec(header)?.[1].toLowerCase();
      return { url, finalUrl: current.href, contentType, charset, bytes, fileName: fileNameFor(current, contentType) };
    }
  } finally {
    fetchAbort.dispose();
  }
}

function parseHttpUrl(originalUrl: string, candidate: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(candidate);
  } catch {
    throw new DocumentError('url_forbidden', originalUrl, `is not a valid absolute URL (${candidate})`, 'Give a full address such as https://example.com/page');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    const where = candidate === originalUrl ? '' : ` (redirected to ${candidate})`;
    throw new DocumentError(
      'url_forbidden',
      originalUrl,
      `uses the ${parsed.protocol} scheme${where}; only http and https are fetched`,
      'Give an http(s) URL; local files are ingested by path, not by URL',
    );
  }
  return parsed;
}

function request(originalUrl: string, target: URL, opts: FetchUrlOptions, signal: AbortSignal, timeoutMs: number): Promise<IncomingMessage> {
  try {
    assertPublicIpLiteral(originalUrl, target, opts);
  } catch (error) {
    return Promise.reject(error);
  }
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = transport.get(
      target,
      {
        headers: { ...DEFAULT_HEADERS, ...lowerCaseKeys(opts.headers ?? {}) },
        lookup: guardedLookup(originalUrl, target, opts),
        signal,
      },
      resolve,
    );
    outgoing.on('error', (error) => reject(translateNetworkError(originalUrl, target, error, signal, timeoutMs)));
  });
}

function readBody(url: string, response: IncomingMessage, maxBytes: number, signal: AbortSignal, timeoutMs: number): Promise<Uint8Array> {
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.destroy();
    return Promise.reject(tooLarge(url, `declares ${describeBytes(declared)}`, maxBytes));
  }
  const stream = decompressed(response);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        response.destroy();
        stream.destroy();
        reject(tooLarge(url, 'sends more than that', maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    // 'close' without 'end' means the connection dropped mid-body (a settled promise ignores this).
    stream.on('close', () =>
      reject(
        new DocumentError('fetch_failed', url, `closed the connection after ${describeBytes(received)}, before the body was complete`, 'Try again later', {
          retryable: true,
        }),
      ),
    );
    const fail = (error: Error) => reject(translateNetworkError(url, new URL(url), error, signal, timeoutMs));
    stream.on('error', fail);
    if (stream !== response) response.on('error', fail);
  });
}

/** Decompresses as the body arrives, so the byte limit applies to what we would actually hold. */
function decompressed(response: IncomingMessage): Readable {
  const encoding = (response.headers['content-encoding'] ?? '').toLowerCase().trim();
  if (encoding === 'gzip' || encoding === 'x-gzip') return response.pipe(createGunzip());
  if (encoding === 'deflate') return response.pipe(createInflate());
  if (encoding === 'br') return response.pipe(createBrotliDecompress());
  return response;
}

function tooLarge(url: string, what: string, maxBytes: number): DocumentError {
  return new DocumentError(
    'too_large',
    url,
    `is over the ${describeBytes(maxBytes)} download limit (the server ${what})`,
    'Download it yourself and split it, or raise maxBytes for this import',
  );
}

function translateNetworkError(originalUrl: string, target: URL, error: unknown, signal: AbortSignal, timeoutMs: number): unknown {
  if (error instanceof DocumentError) return error;
  const code = (error as NodeJS.ErrnoException)?.code ?? '';
  const hop = target.href === originalUrl ? '' : ` (at ${target.href})`;
  if (signal.aborted) {
    const timedOut = (signal.reason as Error)?.name === 'TimeoutError';
    return new DocumentError(
      'fetch_failed',
      originalUrl,
      timedOut ? `did not answer within ${Math.round(timeoutMs / 1000)} s${hop}` : `fetch was cancelled${hop}`,
      timedOut ? 'Try again later, or raise timeoutMs' : 'Start the import again if the cancellation was not intended',
      { retryable: timedOut, cause: error },
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new DocumentError(
      'fetch_failed',
      originalUrl,
      `cannot be reached: the host ${target.hostname} does not resolve${hop}`,
      'Check the address for typos',
      {
        retryable: code === 'EAI_AGAIN',
        cause: error,
      },
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new DocumentError(
    'fetch_failed',
    originalUrl,
    `could not be downloaded (${code || detail})${hop}`,
    'Check the address and the network, then try again',
    {
      retryable: true,
      cause: error,
    },
  );
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
}

/**
 * A file name whose extension matches what the server sent, so format detection works:
 * https://host/docs/report.pdf → "report.pdf", https://host/wiki/Duck (text/html) → "Duck.html",
 * https://host/ → "host.html". A known content type wins over a misleading URL extension.
 */
export function fileNameFor(url: URL, contentType: string): string {
  const base = sanitize(decodeURIComponentSafe(posix.basename(url.pathname))) || sanitize(url.hostname) || 'download';
  const expected = EXTENSION_BY_CONTENT_TYPE[contentType];
  if (!expected) return base;
  const extension = posix.extname(base).toLowerCase();
  if (extension === expected || (expected === '.html' && extension === '.htm')) return base;
  const stem = extension && formatFromExtension(base) ? base.slice(0, -extension.length) : base;
  return `${stem}${expected}`;
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function sanitize(name: string): string {
  return name
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .replace(/^[._]+/, '')
    .slice(0, 200);
}
