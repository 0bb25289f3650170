// system-check's endpoint probe against a real HTTP server that answers like an OpenAI-compatible /models.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEmbedding, checkModelEndpoint } from '../../../src/cli/system-checks';
import { loadConfig } from '../../../src/infra/config/load';

let server: Server;
let baseUrl: string;
const SETTINGS = { url: 'OPENAI_BASE_URL', key: 'OPENAI_API_KEY', model: 'DATACREEK_LLM_MODEL' };

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/locked/models' && req.headers.authorization !== 'Bearer right-key') {
      res.writeHead(401).end('{"error":{"message":"bad key"}}');
    } else if (req.url === '/v1/models' || req.url === '/locked/models') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'llama-3-8b' }, { id: 'embedder' }] }));
    } else if (req.url === '/html/models') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an API</html>');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A port nothing listens on: one the OS just handed out and took back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('checkModelEndpoint', () => {
  it('is ok when the endpoint lists the configured model', async () => {
    const result = await checkModelEndpoint('llm', `${baseUrl}/v1/`, '', 'llama-3-8b', SETTINGS);
    expect(result).toEqual({ name: 'llm', status: 'ok', detail: `${baseUrl}/v1/: model "llama-3-8b" served` });
  });

  it('names the served models and the setting to change when the model is missing', async () => {
    const result = await checkModelEndpoint('llm', `${baseUrl}/v1`, '', 'gpt-9', SETTINGS);
    expect(result.status).toBe('FAIL');
    expect(result.detail).toContain('model "gpt-9" is not served (available: llama-3-8b, embedder)');
    expect(result.fix).toContain('DATACREEK_LLM_MODEL');
  });

  it('sends the key, and says which setting holds it when it is refused', async () => {
    expect((await checkModelEndpoint('llm', `${baseUrl}/locked`, 'right-key', 'embedder', SETTINGS)).status).toBe('ok');
    const refused = await checkModelEndpoint('llm', `${baseUrl}/locked`, 'wrong', 'embedder', SETTINGS);
    expect(refused).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('HTTP 401') });
    expect(refused.fix).toContain('OPENAI_API_KEY');
  });

  it('fails clearly on a wrong path, a page that is not an API, and nothing listening', async () => {
    expect((await checkModelEndpoint('llm', `${baseUrl}/nope`, '', 'x', SETTINGS)).detail).toContain('HTTP 404');
    expect((await checkModelEndpoint('llm', `${baseUrl}/html`, '', 'x', SETTINGS)).detail).toContain('not an OpenAI model list');
    const closed = await checkModelEndpoint('llm', `http://127.0.0.1:${await closedPort()}/v1`, '', 'x', SETTINGS);
    expect(closed.status).toBe('FAIL');
    expect(closed.detail).toContain('ECONNREFUSED');
  });
});

describe('checkEmbedding', () => {
  it('needs no endpoint for lexical embeddings', async () => {
    const config = loadConfig({ env: {}, overrides: { llm: { base_url: 'http://127.0.0.1:8000/v1' }, embedding: { provider: 'lexical' } } });
    expect(await checkEmbedding(config)).toMatchObject({ name: 'embedding', status: 'ok', detail: expect.stringContaining('lexical: no model needed') });
  });

  it('probes the llm endpoint when embedding.base_url is empty', async () => {
    const config = loadConfig({
      env: {},
      overrides: { llm: { base_url: `${baseUrl}/v1` }, embedding: { provider: 'openai', base_url: '', model: 'embedder' } },
    });
    expect(await checkEmbedding(config)).toMatchObject({ status: 'ok', detail: `${baseUrl}/v1: model "embedder" served` });
  });
});
