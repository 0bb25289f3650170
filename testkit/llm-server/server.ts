// The project's own OpenAI-compatible test server (node:http, no framework): chat completions
// (response_format json_schema / json_object, logprobs), embeddings (float and base64) and models.
// Content is deterministic and derived from the prompt (see tasks.ts); latency, a server-side
// concurrency limit C and faults are controllable in process (setOptions) or over HTTP
// (/_control/*) when it runs as its own process (main.ts).
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DuplicateInjector } from './duplicates';
import { embedText, encodeFloat32Base64 } from './embeddings';
import {
  applyPatch,
  CONTENT_FAULTS,
  defaultOptions,
  FAULT_KINDS,
  TRANSPORT_FAULTS,
  type FaultKind,
  type TestLlmServerOptions,
  type TestLlmServerOptionsPatch,
} from './options';
import { StatsCollector, type ServerStats } from './stats';
import { answerTagged } from './tagged-answers';
import { answerChat, messageText, type ChatMessageIn, type ChatRequestBody, type TaskAnswer } from './tasks';
import { linkedAbort } from '../../src/infra/common';
import { seededRandom } from '../../src/infra/common/seeded-random';
import { estimateTokens } from './text-tools';

export type { FaultKind, ServerStats, TestLlmServerOptions, TestLlmServerOptionsPatch };

export interface TestLlmServer {
  /** Base URL ending in /v1, ready for an OpenAI client's `baseURL`. */
  url: string;
  port: number;
  stats(): ServerStats;
  resetStats(): void;
  setOptions(patch: TestLlmServerOptionsPatch): void;
  options(): TestLlmServerOptions;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

export async function startTestLlmServer(initial: TestLlmServerOptionsPatch = {}): Promise<TestLlmServer> {
  let options = applyPatch(defaultOptions(), initial);
  let random = seededRandom(options.seed);
  const stats = new StatsCollector();
  const duplicates = new DuplicateInjector();
  const closing = new AbortController();
  // Every request in flight links to it (and unlinks when it ends): a server at concurrency 64 holds 64 listeners,
  // which is not the leak Node's default warning at 10 is there to catch.
  setMaxListeners(0, closing.signal);
  let completionCounter = 0;

  // The server-side slots: at most C requests are served at once, the rest wait in FIFO order.
  let active = 0;
  const waiting: Array<() => void> = [];
  const capacity = () => (options.concurrency > 0 ? options.concurrency : Infinity);
  const pumpSlots = () => {
    while (waiting.length > 0 && active < capacity()) {
      active++;
      waiting.shift()!();
    }
  };
  const takeSlot = (signal: AbortSignal): Promise<boolean> => {
    if (active < capacity() && waiting.length === 0) {
      active++;
      return Promise.resolve(true);
    }
    stats.queuedChange(1);
    return new Promise((resolve) => {
      const onAbort = () => {
        const index = waiting.indexOf(grant);
        if (index >= 0) waiting.splice(index, 1);
        stats.queuedChange(-1);
        resolve(false);
      };
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        stats.queuedChange(-1);
        resolve(true);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      waiting.push(grant);
    });
  };
  const releaseSlot = () => {
    active--;
    pumpSlots();
  };

  const drawFault = (endpoint: 'chat' | 'embeddings'): FaultKind | null => {
    const applicable = endpoint === 'chat' ? FAULT_KINDS : TRANSPORT_FAULTS;
    const forcedIndex = options.forcedFaults.findIndex((kind) => applicable.includes(kind));
    if (forcedIndex >= 0) return options.forcedFaults.splice(forcedIndex, 1)[0];
    for (const kind of applicable) {
      const rate = options.faults[kind];
      if (rate > 0 && random() < rate) return kind;
    }
    return null;
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.writableEnded || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  const sendError = (res: ServerResponse, status: number, message: string, type: string, param: string | null = null, headers: Record<string, string> = {}) =>
    sendJson(res, status, { error: { message, type, param, code: null } }, headers);
  /** Retry-After (whole seconds or an HTTP date, as configured) plus OpenAI's finer retry-after-ms. */
  const retryAfterHeaders = (waitMs: number) => {
    const seconds = Math.ceil(waitMs / 1000);
    const headers: Record<string, string> = {
      'retry-after': options.retryAfterFormat === 'http-date' ? new Date(Date.now() + seconds * 1000).toUTCString() : String(seconds),
    };
    if (options.sendRetryAfterMs) headers['retry-after-ms'] = String(Math.ceil(waitMs));
    return headers;
  };
  const sendRateLimit = (res: ServerResponse, why: string, waitMs = options.retryAfterSeconds * 1000) =>
    sendError(res, 429, `Rate limit reached: ${why}. Retry after ${Math.ceil(waitMs)} ms.`, 'rate_limit_exceeded', null, retryAfterHeaders(waitMs));

  // The requests-per-second limit: a token bucket that holds one second's worth of requests.
  let bucketTokens = 0;
  let bucketUpdatedAt = Date.now();
  let bucketRate = 0;
  /** 0 when a request may pass (and takes a token), else the ms until the next token. */
  const rateLimitWaitMs = (): number => {
    const rate = options.requestsPerSecond;
    if (rate <= 0) return 0;
    const now = Date.now();
    if (bucketRate !== rate) {
      bucketRate = rate;
      bucketTokens = rate;
    } else {
      bucketTokens = Math.min(rate, bucketTokens + ((now - bucketUpdatedAt) / 1000) * rate);
    }
    bucketUpdatedAt = now;
    if (bucketTokens >= 1) {
      bucketTokens -= 1;
      return 0;
    }
    return ((1 - bucketTokens) / rate) * 1000;
  };

  /**
   * The life of one model request: transport fault, overload policy, a slot, latency, answer. The
   * answer is computed (and the request validated) before anything else so a bad request is a 400.
   */
  const serveModelRequest = async (
    res: ServerResponse,
    endpoint: 'chat' | 'embeddings',
    prepare: () => { payload: (fault: FaultKind | null) => unknown; completionTokens: number; promptTokens: number; task: string },
  ) => {
    const clientGone = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) {
        stats.clientAborted();
        clientGone.abort();
      }
    });
    // Not AbortSignal.any: Node 20 may keep a composite signal that ever had a listener for the life of the
    // process, and a benchmark sends this server hundreds of thousands of requests.
    const link = linkedAbort([clientGone.signal, closing.signal]);
    const signal = link.signal;
    stats.requestOpened(endpoint);
    let status = 499; // nginx's "client closed request", when nothing could be sent
    try {
      const prepared = prepare();
      const fault = drawFault(endpoint);
      if (fault && TRANSPORT_FAULTS.includes(fault)) stats.fault(fault);
      if (fault === 'rate_limit') {
        status = 429;
        return sendRateLimit(res, 'injected fault');
      }
      const waitMs = rateLimitWaitMs();
      if (waitMs > 0) {
        status = 429;
        return sendRateLimit(res, `more than ${options.requestsPerSecond} requests per second`, waitMs);
      }
      if (options.overload === 'reject' && active >= capacity()) {
        status = 429;
        return sendRateLimit(res, `more than ${options.concurrency} concurrent requests`);
      }
      if (!(await takeSlot(signal))) return;
      stats.slotTaken();
      const takenAt = Date.now();
      try {
        const latency = options.latencyMs + options.perTokenLatencyMs * prepared.completionTokens;
        if (latency > 0 && !(await wait(latency, signal))) return;
        if (fault === 'server_error') {
          status = 500;
          return sendError(res, 500, 'Internal server error (injected fault)', 'server_error');
        }
        if (fault === 'hang') {
          if (!(await wait(options.hangMs, signal))) return;
          status = 504;
          return sendError(res, 504, `No answer within ${options.hangMs} ms (injected hang)`, 'timeout');
        }
        stats.task(prepared.task);
        stats.tokens(prepared.promptTokens, prepared.completionTokens);
        status = 200;
        sendJson(res, 200, prepared.payload(fault));
      } finally {
        releaseSlot();
        stats.slotReleased(Date.now() - takenAt);
      }
    } catch (error) {
      if (error instanceof HttpError) {
        status = error.status;
        return sendError(res, error.status, error.message, 'invalid_request_error', error.param);
      }
      status = 500;
      sendError(res, 500, `Test server bug: ${error instanceof Error ? error.stack : String(error)}`, 'server_error');
    } finally {
      link.dispose();
      stats.requestClosed(status);
    }
  };

  const chatCompletion = (res: ServerResponse, body: ChatRequestBody) =>
    serveModelRequest(res, 'chat', () => {
      const messages = validateChatRequest(body, options);
      const promptText = messages.map(messageText).join('\n');
      refuseMarkedPrompt(promptText, options);
      const n = choiceCount(body.n);
      if (n > 1 || answerTagged(promptText, 0) !== null) return plainChatChoices(body, messages, promptText, n);
      const answer = answerChat(body, messages, duplicates, options.duplicates);
      const promptTokens = estimateTokens(promptText);
      let content = answer.content;
      let finishReason = 'stop';
      if (typeof body.max_tokens === 'number' && estimateTokens(content) > body.max_tokens) {
        content = content.slice(0, body.max_tokens * 4);
        finishReason = 'length';
      }
      const completionTokens = estimateTokens(content);
      return {
        task: answer.task,
        promptTokens,
        completionTokens,
        payload: (fault) => {
          const spoiled = fault && CONTENT_FAULTS.includes(fault) && answer.json ? spoilContent(content, fault) : null;
          if (spoiled) stats.fault(fault!);
          return {
            id: `chatcmpl-test-${++completionCounter}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: String(body.model),
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: spoiled?.content ?? content },
                logprobs: body.logprobs ? { content: logprobsFor(answer, spoiled?.content ?? content) } : null,
                finish_reason: spoiled?.finishReason ?? finishReason,
              },
            ],
            usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
          };
        },
      };
    });

  /** Several plain-text choices for one chat request (`n` > 1, or a tagged-text prompt). */
  const plainChatChoices = (body: ChatRequestBody, messages: ChatMessageIn[], promptText: string, n: number) => {
    const texts = Array.from({ length: n }, (_, i) => plainAnswer(promptText, (body.seed ?? 0) + i, body, messages));
    const promptTokens = estimateTokens(promptText);
    const completionTokens = texts.reduce((sum, text) => sum + estimateTokens(text), 0);
    return {
      task: answerTagged(promptText, 0) !== null ? 'tagged' : 'freeform',
      promptTokens,
      completionTokens,
      payload: () => ({
        id: `chatcmpl-test-${++completionCounter}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: String(body.model),
        choices: texts.map((content, index) => ({ index, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' })),
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      }),
    };
  };

  /** What a plain-text request gets: tagged text when the prompt asks for tags, else the freeform answer varied by `variant`. */
  const plainAnswer = (prompt: string, variant: number, body: ChatRequestBody, messages: ChatMessageIn[]): string => {
    const tagged = answerTagged(prompt, variant);
    if (tagged !== null) return tagged;
    const base = answerChat({ ...body, response_format: undefined, seed: variant }, messages, duplicates, options.duplicates).content;
    return variant === 0 ? base : `${base} (sample ${variant + 1})`;
  };

  // Legacy completions: `prompt` is a string (or a list of strings, answered in order), `n` choices each.
  const completion = (res: ServerResponse, body: Record<string, unknown>) =>
    serveModelRequest(res, 'chat', () => {
      if (typeof body.model !== 'string' || body.model === '') throw new HttpError(400, 'model is required', 'model');
      const prompts =
        typeof body.prompt === 'string'
          ? [body.prompt]
          : Array.isArray(body.prompt) && body.prompt.every((p) => typeof p === 'string')
            ? (body.prompt as string[])
            : null;
      if (!prompts || prompts.length === 0) throw new HttpError(400, 'prompt must be a string or a non-empty array of strings', 'prompt');
      for (const prompt of prompts) refuseMarkedPrompt(prompt, options);
      const n = choiceCount(body.n);
      const seed = typeof body.seed === 'number' ? Math.abs(Math.trunc(body.seed)) : 0;
      const texts = prompts.flatMap((prompt) =>
        Array.from({ length: n }, (_, i) => plainAnswer(prompt, seed + i, { model: body.model }, [{ role: 'user', content: prompt }])),
      );
      const promptTokens = prompts.reduce((sum, prompt) => sum + estimateTokens(prompt), 0);
      const completionTokens = texts.reduce((sum, text) => sum + estimateTokens(text), 0);
      return {
        task: prompts.some((prompt) => answerTagged(prompt, 0) !== null) ? 'completion_tagged' : 'completion',
        promptTokens,
        completionTokens,
        payload: () => ({
          id: `cmpl-test-${++completionCounter}`,
          object: 'text_completion',
          created: Math.floor(Date.now() / 1000),
          model: String(body.model),
          choices: texts.map((text, index) => ({ index, text, logprobs: null, finish_reason: 'stop' })),
          usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        }),
      };
    });

  const embeddings = (res: ServerResponse, body: Record<string, unknown>) =>
    serveModelRequest(res, 'embeddings', () => {
      const inputs = validateEmbeddingRequest(body);
      const encoding = body.encoding_format ?? 'float';
      if (encoding !== 'float' && encoding !== 'base64') {
        throw new HttpError(400, `encoding_format must be "float" or "base64", got ${JSON.stringify(encoding)}`, 'encoding_format');
      }
      const dimensions = typeof body.dimensions === 'number' ? body.dimensions : options.embeddingDimensions;
      if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 8192)
        throw new HttpError(400, 'dimensions must be an integer from 1 to 8192', 'dimensions');
      const promptTokens = inputs.reduce((sum, text) => sum + estimateTokens(text), 0);
      return {
        task: 'embeddings',
        promptTokens,
        completionTokens: 0,
        payload: () => ({
          object: 'list',
          model: String(body.model),
          data: inputs.map((text, index) => {
            const vector = embedText(text, dimensions);
            return { object: 'embedding', index, embedding: encoding === 'base64' ? encodeFloat32Base64(vector) : vector };
          }),
          usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
        }),
      };
    });

  const control = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    if (req.method === 'GET' && path === '/_control/stats') return sendJson(res, 200, stats.snapshot(duplicates.injected));
    if (req.method === 'GET' && path === '/_control/options') return sendJson(res, 200, options);
    if (req.method === 'POST' && path === '/_control/options') {
      const patch = (await readJson(req)) as TestLlmServerOptionsPatch;
      try {
        setOptions(patch);
      } catch (error) {
        return sendError(res, 400, error instanceof Error ? error.message : String(error), 'invalid_request_error');
      }
      return sendJson(res, 200, options);
    }
    if (req.method === 'POST' && path === '/_control/reset') {
      resetStats();
      return sendJson(res, 200, { ok: true });
    }
    sendError(res, 404, `Unknown control route ${req.method} ${path}; try GET /_control/stats, GET|POST /_control/options, POST /_control/reset`, 'not_found');
  };

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    try {
      if (path.startsWith('/_control/')) return await control(req, res, path);
      if (req.method === 'GET' && path === '/v1/models') {
        return sendJson(res, 200, {
          object: 'list',
          data: options.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'datacreek-test' })),
        });
      }
      if (req.method === 'POST' && path === '/v1/chat/completions') return await chatCompletion(res, (await readJson(req)) as ChatRequestBody);
      if (req.method === 'POST' && path === '/v1/completions') return await completion(res, (await readJson(req)) as Record<string, unknown>);
      if (req.method === 'POST' && path === '/v1/embeddings') return await embeddings(res, (await readJson(req)) as Record<string, unknown>);
      sendError(
        res,
        404,
        `Unknown route ${req.method} ${path}; this server speaks /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/models`,
        'not_found',
      );
    } catch (error) {
      if (error instanceof HttpError) return sendError(res, error.status, error.message, 'invalid_request_error', error.param);
      sendError(res, 500, `Test server bug: ${error instanceof Error ? error.stack : String(error)}`, 'server_error');
    }
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;

  function setOptions(patch: TestLlmServerOptionsPatch): void {
    const seedChanged = patch.seed !== undefined && patch.seed !== options.seed;
    options = applyPatch(options, patch);
    if (seedChanged) random = seededRandom(options.seed);
    pumpSlots();
  }

  function resetStats(): void {
    stats.reset();
    duplicates.reset();
  }

  return {
    url: `http://${host}:${port}/v1`,
    port,
    stats: () => stats.snapshot(duplicates.injected),
    resetStats,
    setOptions,
    options: () => structuredClone(options),
    close: async () => {
      closing.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function validateChatRequest(body: ChatRequestBody, options: TestLlmServerOptions): ChatMessageIn[] {
  if (!body || typeof body !== 'object') throw new HttpError(400, 'The request body must be a JSON object');
  if (typeof body.model !== 'string' || body.model === '') throw new HttpError(400, 'model is required', 'model');
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new HttpError(400, 'messages must be a non-empty array', 'messages');
  const messages = body.messages as ChatMessageIn[];
  for (const [index, message] of messages.entries()) {
    if (!message || !['system', 'user', 'assistant', 'developer', 'tool'].includes(message.role)) {
      throw new HttpError(400, `messages[${index}].role must be system, user or assistant`, `messages.${index}.role`);
    }
  }
  const format = body.response_format;
  if (format && format.type === 'json_schema') {
    if (options.rejectJsonSchema) {
      throw new HttpError(400, "response_format of type 'json_schema' is not supported by this server; use 'json_object' or none", 'response_format');
    }
    if (!format.json_schema?.name || typeof format.json_schema.schema !== 'object') {
      throw new HttpError(400, 'response_format.json_schema needs a name and a schema object', 'response_format');
    }
  } else if (format && format.type === 'json_object') {
    // OpenAI's rule: JSON mode needs the word JSON somewhere in the messages.
    if (!messages.some((m) => /json/i.test(messageText(m)))) {
      throw new HttpError(400, "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'", 'messages');
    }
  } else if (format && format.type !== 'text') {
    throw new HttpError(400, `Unknown response_format type ${JSON.stringify(format.type)}`, 'response_format');
  }
  return messages;
}

/** `n`: how many choices to sample (1 to 16 here). */
function choiceCount(value: unknown): number {
  if (value === undefined || value === null) return 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 16) throw new HttpError(400, 'n must be an integer from 1 to 16', 'n');
  return value;
}

/** The scripted permanent failure: a 400 such as an over-long prompt gets from a real server. */
function refuseMarkedPrompt(prompt: string, options: TestLlmServerOptions): void {
  if (options.refusePromptsContaining && prompt.includes(options.refusePromptsContaining)) {
    throw new HttpError(
      400,
      "This model's maximum context length is 4096 tokens; your prompt is longer (refused by the test server's refusePromptsContaining)",
      'prompt',
    );
  }
}

function validateEmbeddingRequest(body: Record<string, unknown>): string[] {
  if (!body || typeof body !== 'object') throw new HttpError(400, 'The request body must be a JSON object');
  if (typeof body.model !== 'string' || body.model === '') throw new HttpError(400, 'model is required', 'model');
  const input = body.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string')) return input as string[];
  throw new HttpError(400, 'input must be a string or a non-empty array of strings (token arrays are not supported by the test server)', 'input');
}

function spoilContent(content: string, fault: FaultKind): { content: string; finishReason: string } | null {
  switch (fault) {
    case 'malformed_json':
      // What chatty models do: a preface, a code fence, unquoted keys and a trailing comma.
      return {
        content: `Here is the JSON you asked for:\n\`\`\`json\n${content.replace(/"([A-Za-z_][A-Za-z0-9_]*)":/g, '$1:').replace(/\}$/, ',}')}\n\`\`\``,
        finishReason: 'stop',
      };
    case 'truncated_json':
      return { content: content.slice(0, Math.max(1, Math.floor(content.length * 0.6))), finishReason: 'length' };
    case 'not_json':
      return { content: "I'm sorry, but I can't provide that in the requested format right now.", finishReason: 'stop' };
    case 'partial_answer': {
      const value = JSON.parse(content) as Record<string, unknown>;
      const trimmed = Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, Array.isArray(inner) ? inner.slice(0, -1) : inner]));
      return { content: JSON.stringify(trimmed), finishReason: 'stop' };
    }
    default:
      return null;
  }
}

function logprobsFor(answer: TaskAnswer, content: string) {
  const entries = answer.logprobs ?? (content.match(/\S+\s*/g) ?? []).map((token, i) => ({ token, logprob: -0.05 - (i % 7) * 0.01 }));
  return entries.map((entry) => ({ token: entry.token, logprob: entry.logprob, bytes: null, top_logprobs: [] }));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `Request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON');
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts (client gone, server closing). */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
