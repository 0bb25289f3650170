// An LLM gateway of the careless kind, in front of the test LLM server: it passes requests through, but answers
// some with HTTP 500 and an error message that quotes the caller's API key back, as misconfigured proxies do.
// Whatever datacreek does with such an error (retry, fail the activity, log it, store it) must not spread the key.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LeakyGateway {
  /** Base URL ending in /v1. */
  url: string;
  /** How many answers quoted the key back. */
  echoed(): number;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The first `failFirst` chat requests, then every `failEvery`-th, get the 500 that quotes the key. */
export async function startLeakyGateway(targetUrl: string, opts: { failFirst: number; failEvery: number }): Promise<LeakyGateway> {
  const target = new URL(targetUrl);
  let chatRequests = 0;
  let echoed = 0;
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const isChat = req.url?.endsWith('/chat/completions') ?? false;
      if (isChat) chatRequests++;
      if (isChat && (chatRequests <= opts.failFirst || chatRequests % opts.failEvery === 0)) {
        echoed++;
        const key = String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
        const text = JSON.stringify({
          error: { message: `Upstream provider rejected the request made with API key ${key}`, type: 'server_error', code: null },
        });
        res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      const upstream = await fetch(new URL(req.url!.replace(/^\/v1\//, ''), `${target.href.replace(/\/$/, '')}/`), {
        method: req.method,
        headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json'), authorization: String(req.headers.authorization ?? '') },
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
      });
      const answer = Buffer.from(await upstream.arrayBuffer());
      const headers: Record<string, string> = { 'content-type': upstream.headers.get('content-type') ?? 'application/json' };
      for (const name of ['retry-after', 'retry-after-ms']) {
        const value = upstream.headers.get(name);
        if (value) headers[name] = value;
      }
      res.writeHead(upstream.status, headers);
      res.end(answer);
    } catch (err) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `gateway could not reach the model: ${(err as Error).message}`, type: 'server_error' } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    echoed: () => echoed,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
