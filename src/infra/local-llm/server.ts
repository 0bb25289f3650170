// An in-process OpenAI-compatible HTTP server backed by node-llama-cpp, so a local GGUF model is reached
// exactly like any other endpoint: LlmClient (limiter, retries, structured output, token accounting) needs
// no second code path. It serves POST /v1/chat/completions, POST /v1/embeddings (when an embedding model
// is loaded), GET /v1/models and GET /health on a loopback port.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LlamaModel } from 'node-llama-cpp';
import { z } from 'zod';
import { linkedAbort } from '../common';
import { encodeBase64Embedding } from '../llm';
import { ChatEngine } from './chat-engine';
import { chatRequestSchema } from './chat-request';
import { EmbeddingEngine } from './embedding-engine';
import { LocalRequestError } from './errors';
import { modelIdFromPath } from './model-file';
import { sharedLlama, type LocalGpuSetting } from './runtime';

export interface LocalLlmServerOptions {
  /** GGUF chat model served at /v1/chat/completions. */
  modelPath?: string;
  /** GGUF model served at /v1/embeddings; may be the chat model's path (it is then loaded once). */
  embeddingModelPath?: string;
  /** Tokens per request, prompt and answer together (default 4096, at most the model's training context). */
  contextSize?: number;
  /** Chat requests evaluated at once; more wait in order (default 2, one per core of a small machine). */
  parallelSequences?: number;
  /**
   * CPU threads for evaluation. Default: one fewer than the machine's math cores (at least 1). llama.cpp's
   * threads spin-wait on each other, so on a shared, busy 2-core machine 2 threads ran 7–18× slower than 1.
   */
  threads?: number;
  /** `'auto'` (default) uses a GPU when one works; `false` forces the CPU. */
  gpu?: LocalGpuSetting;
  /** Default 127.0.0.1: the server is for this process, not the network. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** One line per notable event (model loaded, a schema that fell back to generic JSON). */
  log?: (message: string) => void;
}

export interface LocalLlmServer {
  /** Ends in /v1, ready for LlmClient's `baseURL`. */
  baseURL: string;
  /** Model id of the chat model (its file name without .gguf), or null when only embeddings are served. */
  chatModel: string | null;
  embeddingModel: string | null;
  embeddingDimensions: number | null;
  parallelSequences: number;
  /** Tokens per chat request after clamping to the model. */
  contextSize: number;
  /** Stops accepting requests, fails queued ones, and frees the model memory. */
  close(): Promise<void>;
}

export const DEFAULT_PARALLEL_SEQUENCES = 2;
export const DEFAULT_CONTEXT_SIZE = 4096;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const embeddingRequestSchema = z.object({
  model: z.string().optional(),
  input: z.union([z.string(), z.array(z.string()).min(1, 'input must hold at least one text')], {
    error: 'input must be a string or an array of strings (token arrays are not supported by the local server)',
  }),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.number().int().positive().nullish(),
});

export async function startLocalLlmServer(options: LocalLlmServerOptions): Promise<LocalLlmServer> {
  if (!options.modelPath && !options.embeddingModelPath) {
    throw new Error('startLocalLlmServer: give modelPath (a GGUF chat model), embeddingModelPath, or both');
  }
  const parallelSequences = options.parallelSequences ?? DEFAULT_PARALLEL_SEQUENCES;
  if (!Number.isInteger(parallelSequences) || parallelSequences < 1 || parallelSequences > 64) {
    throw new Error(`startLocalLlmServer: parallelSequences must be an integer from 1 to 64, got ${parallelSequences}`);
  }
  const contextSize = options.contextSize ?? DEFAULT_CONTEXT_SIZE;
  if (!Number.isInteger(contextSize) || contextSize < 256) {
    throw new Error(`startLocalLlmServer: contextSize must be an integer of at least 256 tokens, got ${contextSize}`);
  }
  const log = options.log ?? (() => {});
  const llama = await sharedLlama(options.gpu ?? 'auto');
  const threads = options.threads ?? Math.max(1, llama.cpuMathCores - 1);

  const loaded = new Map<string, Promise<LlamaModel>>();
  const loadModel = (modelPath: string) => {
    let model = loaded.get(modelPath);
    if (!model) {
      model = llama.loadModel({ modelPath }).catch((error: unknown) => {
        throw new Error(`Could not load the local model ${modelPath}: ${error instanceof Error ? error.message : String(error)}. Is it a complete GGUF file?`);
      });
      loaded.set(modelPath, model);
    }
    return model;
  };

  let chat: ChatEngine | null = null;
  let embeddings: EmbeddingEngine | null = null;
  const disposeAll = async () => {
    await chat?.close();
    await embeddings?.close();
    for (const model of loaded.values()) await model.then((m) => m.dispose()).catch(() => {});
  };
  try {
    if (options.modelPath) {
      chat = await ChatEngine.create(llama, await loadModel(options.modelPath), {
        parallelSequences,
        contextSize,
        threads,
        onNotice: log,
      });
      log(
        `local model ${modelIdFromPath(options.modelPath)}: ${parallelSequences} parallel sequences of ${chat.contextSize} tokens, ${threads} threads, ${llama.gpu || 'CPU'}`,
      );
    }
    if (options.embeddingModelPath) {
      embeddings = await EmbeddingEngine.create(await loadModel(options.embeddingModelPath), { contextSize, threads });
      log(`local embedding model ${modelIdFromPath(options.embeddingModelPath)}: ${embeddings.dimensions} dimensions`);
    }
  } catch (error) {
    await disposeAll();
    throw error;
  }

  const chatModel = options.modelPath ? modelIdFromPath(options.modelPath) : null;
  const embeddingModel = options.embeddingModelPath ? modelIdFromPath(options.embeddingModelPath) : null;
  const closing = new AbortController();
  let completions = 0;

  const routes: Record<string, (req: IncomingMessage, signal: AbortSignal) => Promise<unknown>> = {
    'GET /health': async () => ({ status: 'ok', queued: chat?.queued ?? 0 }),
    'GET /v1/models': async () => ({
      object: 'list',
      data: [chatModel, embeddingModel]
        .filter((id, index, all): id is string => id !== null && all.indexOf(id) === index)
        .map((id) => ({ id, object: 'model', created: 0, owned_by: 'datacreek-local' })),
    }),
    'POST /v1/chat/completions': async (req, signal) => {
      if (!chat) throw new LocalRequestError(404, 'this local server has no chat model loaded; set llm.local_model_path', 'model', 'model_not_found');
      const request = parseBody(chatRequestSchema, await readJson(req));
      const completion = await chat.complete(request, signal);
      return {
        id: `chatcmpl-local-${++completions}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: chatModel,
        choices: [{ index: 0, message: { role: 'assistant', content: completion.content }, finish_reason: completion.finishReason, logprobs: null }],
        usage: {
          prompt_tokens: completion.promptTokens,
          completion_tokens: completion.completionTokens,
          total_tokens: completion.promptTokens + completion.completionTokens,
        },
      };
    },
    'POST /v1/embeddings': async (req, signal) => {
      if (!embeddings) {
        throw new LocalRequestError(
          404,
          'this local server has no embedding model loaded; configure a local embedding model or use embedding.provider "lexical"',
          'model',
          'model_not_found',
        );
      }
      const request = parseBody(embeddingRequestSchema, await readJson(req));
      if (request.dimensions != null && request.dimensions !== embeddings.dimensions) {
        throw new LocalRequestError(
          400,
          `the local embedding model ${embeddingModel} gives ${embeddings.dimensions}-dimensional vectors, not ${request.dimensions}; set embedding.dimensions to ${embeddings.dimensions}`,
          'dimensions',
        );
      }
      const texts = typeof request.input === 'string' ? [request.input] : request.input;
      const { vectors, promptTokens } = await embeddings.embed(texts, signal);
      const base64 = request.encoding_format === 'base64';
      return {
        object: 'list',
        model: embeddingModel,
        data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: base64 ? encodeBase64Embedding(vector) : vector })),
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      };
    },
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The client went away (timeout, cancelled activity): stop generating for it and free the sequence.
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort(new Error('the client closed the connection'));
    });
    // Linked by hand rather than AbortSignal.any, which would keep every request's signal for the server's life.
    const requestAbort = linkedAbort([gone.signal, closing.signal]);
    const { signal } = requestAbort;
    const route = routes[`${req.method} ${(req.url ?? '/').split('?')[0].replace(/\/+$/, '')}`];
    try {
      if (!route) throw new LocalRequestError(404, `no route ${req.method} ${req.url}; this server speaks /v1/chat/completions, /v1/embeddings and /v1/models`);
      sendJson(res, 200, await route(req, signal));
    } catch (error) {
      if (gone.signal.aborted) return;
      if (error instanceof LocalRequestError) {
        sendJson(res, error.status, { error: { message: error.message, type: 'invalid_request_error', param: error.param, code: error.code } });
      } else {
        const message = closing.signal.aborted ? 'the local LLM server is shutting down' : error instanceof Error ? error.message : String(error);
        sendJson(res, closing.signal.aborted ? 503 : 500, { error: { message, type: 'server_error', param: null, code: null } });
      }
    } finally {
      requestAbort.dispose();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closed: Promise<void> | undefined;
  return {
    baseURL: `http://${host}:${address.port}/v1`,
    chatModel,
    embeddingModel,
    embeddingDimensions: embeddings?.dimensions ?? null,
    parallelSequences,
    contextSize: chat?.contextSize ?? contextSize,
    close: () =>
      (closed ??= (async () => {
        closing.abort(new Error('the local LLM server is shutting down'));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await disposeAll();
      })()),
  };
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue.path.map(String).join('.');
  throw new LocalRequestError(400, param ? `${param}: ${issue.message}` : issue.message, param || null);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new LocalRequestError(413, `the request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new LocalRequestError(400, `the request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
