// Turns `llm.provider: local` / `embedding.provider: local` into an ordinary configuration: it starts the
// in-process OpenAI-compatible server on the local model and returns a config copy whose endpoints point at
// it, so everything downstream (LlmClient, the embedder, the reward client that defaults to the llm endpoint)
// runs unchanged. `embedding.provider: local` stays local (createEmbedder loads embedding.local_model_path
// in-process); without that file it becomes the lexical fallback, and the notes say so plainly.
import type { DatacreekConfig } from '../config';
import { PROJECT_ROOT } from '../config';
import { createLexicalEmbedder } from '../vectors';
import { describeLocalEmbedding } from './local-embedder';
import { resolveLocalModelFile } from './model-file';
import type { LocalGpuSetting } from './runtime';
import { DEFAULT_CONTEXT_SIZE, DEFAULT_PARALLEL_SEQUENCES, startLocalLlmServer, type LocalLlmServer } from './server';

/**
 * Settings beyond today's config schema. Each one is also read from the config key named beside it when the
 * schema gains that key, so a user can set it in YAML; an explicit option here wins.
 */
export interface LocalProviderOptions {
  /** `llm.local_model_ref`: `hf:owner/repo/file.gguf` or an https URL, downloaded into ./models when the file is missing. */
  modelRef?: string;
  /** `llm.local_parallel`: chat requests evaluated at once (default 2). */
  parallelSequences?: number;
  /** `llm.local_context_size`: tokens per request, prompt and answer (default 4096). */
  contextSize?: number;
  /** `llm.local_threads`: CPU threads (default: cores − 1, at least 1). */
  threads?: number;
  /** A GGUF embedding model to serve on the HTTP server's /v1/embeddings (instead of `embedding.local_model_path` in-process). */
  embeddingModelPath?: string;
  /** Default `'auto'`. */
  gpu?: LocalGpuSetting;
  /** Directories relative model paths are looked up in (default: the working directory, then the project root). */
  searchRoots?: string[];
  log?: (message: string) => void;
}

export interface LocalProvider {
  /** The configuration to run with: local providers replaced by the endpoint (or the lexical embedder) serving them. */
  config: DatacreekConfig;
  /** The running server, or null when nothing local was configured (or only the lexical fallback was needed). */
  server: LocalLlmServer | null;
  /** One plain sentence per decision taken (model served, fallback used), for logs and `datacreek dev`. */
  notes: string[];
  /** Stops the server, if one was started. */
  close(): Promise<void>;
}

export async function resolveLocalProvider(config: DatacreekConfig, options: LocalProviderOptions = {}): Promise<LocalProvider> {
  const wantsLocalLlm = config.llm.provider === 'local';
  const wantsLocalEmbedding = config.embedding.provider === 'local';
  if (!wantsLocalLlm && !wantsLocalEmbedding) return { config, server: null, notes: [], close: async () => {} };

  const searchRoots = options.searchRoots ?? [process.cwd(), PROJECT_ROOT];
  const notes: string[] = [];
  const modelPath = wantsLocalLlm
    ? await resolveLocalModelFile(
        { path: config.llm.local_model_path, ref: options.modelRef ?? extraKey(config.llm, 'local_model_ref', 'string'), searchRoots },
        'llm.local_model_path',
      )
    : undefined;
  // An embedding model named in the options is served by the HTTP server; the configured one
  // (embedding.local_model_path) is loaded in-process by createEmbedder, which also truncates long chunks.
  const embeddingModelPath =
    wantsLocalEmbedding && options.embeddingModelPath
      ? await resolveLocalModelFile({ path: options.embeddingModelPath, searchRoots }, 'embedding.local_model_path')
      : undefined;

  let resolved: DatacreekConfig = config;
  if (wantsLocalEmbedding && !embeddingModelPath) {
    const choice = describeLocalEmbedding(config, searchRoots);
    if (choice.modelPath) {
      notes.push(`embedding.provider "local": ${choice.detail}`);
      resolved = { ...resolved, embedding: { ...resolved.embedding, local_model_path: choice.modelPath } };
    } else {
      const lexical = createLexicalEmbedder(config.embedding.dimensions);
      notes.push(`embedding.provider "local" has no local embedding model (${choice.detail}); using ${lexical.describe()}`);
      resolved = { ...resolved, embedding: { ...resolved.embedding, provider: 'lexical' } };
    }
  }
  if (!modelPath && !embeddingModelPath) return { config: resolved, server: null, notes, close: async () => {} };

  const server = await startLocalLlmServer({
    modelPath,
    embeddingModelPath,
    parallelSequences: options.parallelSequences ?? extraKey(config.llm, 'local_parallel', 'number') ?? DEFAULT_PARALLEL_SEQUENCES,
    contextSize: options.contextSize ?? extraKey(config.llm, 'local_context_size', 'number') ?? DEFAULT_CONTEXT_SIZE,
    threads: options.threads ?? extraKey(config.llm, 'local_threads', 'number'),
    gpu: options.gpu,
    log: options.log,
  });

  if (modelPath) {
    resolved = {
      ...resolved,
      llm: {
        ...resolved.llm,
        // "openai" from here on: the endpoint is an OpenAI-compatible one, and resolving this config again
        // must not start a second server.
        provider: 'openai',
        base_url: server.baseURL,
        api_key: '',
        model: server.chatModel!,
        // The server evaluates this many at once; more in flight would only queue there and run into timeouts.
        concurrency: server.parallelSequences,
        // Grammar-constrained sampling: the answer is JSON of the requested schema by construction.
        structured_output: 'json_schema',
      },
      // A small local model writes readable QA only when held to the source's sentences.
      generation: { ...resolved.generation, mode: resolved.generation.mode === 'auto' ? 'grounded' : resolved.generation.mode },
    };
    notes.push(
      `llm.provider "local": ${server.chatModel} from ${modelPath}, served in-process at ${server.baseURL} ` +
        `(${server.parallelSequences} parallel requests of up to ${server.contextSize} tokens)`,
    );
  }
  if (embeddingModelPath) {
    resolved = {
      ...resolved,
      embedding: {
        ...resolved.embedding,
        provider: 'openai',
        base_url: server.baseURL,
        api_key: '',
        model: server.embeddingModel!,
        dimensions: server.embeddingDimensions!,
      },
    };
    notes.push(`embedding.provider "local": ${server.embeddingModel} (${server.embeddingDimensions} dimensions) served at ${server.baseURL}`);
  }
  return { config: resolved, server, notes, close: () => server.close() };
}

/** A key the config schema may gain later (see LocalProviderOptions); absent or of another type → undefined. */
function extraKey(section: object, key: string, type: 'string'): string | undefined;
function extraKey(section: object, key: string, type: 'number'): number | undefined;
function extraKey(section: object, key: string, type: 'string' | 'number'): string | number | undefined {
  const value = (section as Record<string, unknown>)[key];
  if (type === 'string') return typeof value === 'string' && value !== '' ? value : undefined;
  return typeof value === 'number' ? value : undefined;
}
