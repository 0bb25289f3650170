import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressRange, DocumentError, fetchUrl } from '../../../src/domain/parsers';

async function documentError(promise: Promise<unknown>): Promise<DocumentError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DocumentError);
  return error as DocumentError;
}

const FORBIDDEN_TARGETS = [
  'http://127.0.0.1/admin',
  'http://localhost/',
  'http://169.254.169.254/latest/meta-data/',
  'http://10.0.0.1/',
  'http://192.168.1.1/',
  'http://172.16.0.1/',
  'http://[::1]/',
  'http://0.0.0.0/',
  'http://[::ffff:127.0.0.1]/',
  'http://2130706433/', // 127.0.0.1 written as one decimal number
  'http://[fd00::1]/',
  'http://100.100.100.200/', // carrier-grade NAT range (Alibaba Cloud metadata)
];

describe('fetchUrl network guard', () => {
  it.each(FORBIDDEN_TARGETS)('refuses %s', async (url) => {
    const error = await documentError(fetchUrl(url, { timeoutMs: 5000 }));
    expect(error.code).toBe('url_forbidden');
    expect(error.fileName).toBe(url);
    expect(error.message).toContain('non-public address');
  });

  it('refuses schemes other than http and https', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/a.pdf', 'data:text/plain,hi']) {
      const error = await documentError(fetchUrl(url));
      expect(error.code).toBe('url_forbidden');
      expect(error.message).toContain('only http and https');
    }
  });

  it('classifies public and private addresses', () => {
    expect(addressRange('93.184.215.14').isPublic).toBe(true);
    expect(addressRange('2606:4700:4700::1111').isPublic).toBe(true);
    expect(addressRange('169.254.169.254')).toEqual({ isPublic: false, range: 'linkLocal' });
    expect(addressRange('::ffff:10.1.2.3')).toEqual({ isPublic: false, range: 'private' });
    expect(addressRange('fe80::1').isPublic).toBe(false);
  });
});

describe('fetchUrl against a local server', () => {
  let server: Server;
  let base: string;
  let allowedHosts: string[];
  let redirects = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://local');
      if (url.pathname === '/redirect') {
        redirects++;
        response.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
      } else if (url.pathname === '/loop') {
        response.writeHead(301, { location: '/loop' }).end();
      } else if (url.pathname === '/page') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html><body><p>hello</p></body></html>');
      } else if (url.pathname === '/gzipped') {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(gzipSync('z'.repeat(10_000)));
      } else if (url.pathname === '/big') {
        response.writeHead(200, { 'content-type': 'application/pdf' }).end(Buffer.alloc(5000));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('nope');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    allowedHosts = [`127.0.0.1:${port}`];
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is refused by default, even for a local test server', async () => {
    expect((await documentError(fetchUrl(`${base}/page`))).code).toBe('url_forbidden');
  });

  it('fetches an explicitly allowed host and names the file after its content type', async () => {
    const fetched = await fetchUrl(`${base}/page`, { allowedHosts });
    expect(new TextDecoder().decode(fetched.bytes)).toContain('hello');
    expect(fetched.contentType).toBe('text/html');
    expect(fetched.charset).toBe('utf-8');
    expect(fetched.fileName).toBe('page.html');
  });

  it('follows a redirect within allowed hosts', async () => {
    const fetched = await fetchUrl(`${base}/redirect?to=/page`, { allowedHosts });
    expect(fetched.finalUrl).toBe(`${base}/page`);
  });

  it.each([
    'http://127.0.0.1/admin',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/',
    'http://192.168.1.1/',
    'http://172.16.0.1/',
    'http://[::1]/',
  ])('refuses a redirect to %s', async (target) => {
    const before = redirects;
    const error = await documentError(fetchUrl(`${base}/redirect?to=${encodeURIComponent(target)}`, { allowedHosts, timeoutMs: 5000 }));
    expect(redirects).toBe(before + 1); // the first hop was made; the second was refused
    expect(error.code).toBe('url_forbidden');
    expect(error.message).toContain(`redirects to ${new URL(target).href}`);
  });

  it('refuses a redirect to localhost by name (checked when resolving it)', async () => {
    const { port } = server.address() as AddressInfo;
    const error = await documentError(fetchUrl(`${base}/redirect?to=${encodeURIComponent(`http://localhost:${port}/page`)}`, { allowedHosts }));
    expect(error.code).toBe('url_forbidden');
    expect(error.message).toContain('localhost');
  });

  it('stops after five redirects', async () => {
    const error = await documentError(fetchUrl(`${base}/loop`, { allowedHosts }));
    expect(error.code).toBe('fetch_failed');
    expect(error.message).toContain('more than 5 times');
  });

  it('enforces the byte limit, after decompression too', async () => {
    expect((await documentError(fetchUrl(`${base}/big`, { allowedHosts, maxBytes: 1000 }))).code).toBe('too_large');
    expect((await documentError(fetchUrl(`${base}/gzipped`, { allowedHosts, maxBytes: 5000 }))).code).toBe('too_large');
    const inflated = await fetchUrl(`${base}/gzipped`, { allowedHosts });
    expect(inflated.bytes.length).toBe(10_000);
  });

  it('reports HTTP errors with the status', async () => {
    const error = await documentError(fetchUrl(`${base}/missing`, { allowedHosts }));
    expect(error.code).toBe('fetch_failed');
    expect(error.message).toContain('HTTP 404');
    expect(error.retryable).toBe(false);
  });
});
