// What activities need from the outside world, built once per worker process and injected
// (samples-typescript `activities-dependency-injection`): tests build the same thing against their own servers.
import type { DatacreekConfig } from '../infra/config';
import { connectDatabase, type Database } from '../infra/db';
import { LlmClient } from '../infra/llm';
import { describeLocalEmbedding, localModelEmbedder } from '../infra/local-llm';
import { openObjectStore, type ObjectStore } from '../infra/storage';
import type { Embedder } from '../infra/vectors';
import { createLexicalEmbedder } from '../infra/vectors';
import { openConfiguredVectorStore, type VectorStore } from '../infra/vectors';

export interface ActivityDeps {
  config: DatacreekConfig;
  database: Database;
  vectors(): Promise<VectorStore>;
  /** Uploads are read from it; exports and quality reports are written to it (storage.url). */
  objectStore(): ObjectStore;
  embedder: Embedder;
  /** The generation / judge endpoint client (one per endpoint per process, sharing its concurrency limit). */
  llm(): LlmClient;
  /** The reward-model endpoint client, when reward scoring is enabled. */
  rewardLlm(): LlmClient;
  close(): Promise<void>;
}

export function llmEndpointConfig(config: DatacreekConfig, override: { baseURL?: string; apiKey?: string; model?: string } = {}) {
  return {
    baseURL: override.baseURL || config.llm.base_url,
    apiKey: override.apiKey || config.llm.api_key || 'not-needed',
    model: override.model || config.llm.model,
    timeoutMs: config.llm.timeout_ms,
    maxRetries: config.llm.retries,
    maxConcurrency: config.llm.concurrency,
    structuredOutput: config.llm.structured_output,
    temperature: config.llm.temperature,
    maxTokens: config.llm.max_tokens,
  };
}

export function createEmbedder(config: DatacreekConfig, llm: () => LlmClient): Embedder {
  const dims = config.embedding.dimensions;
  if (config.embedding.provider === 'lexical') return createLexicalEmbedder(dims);
  if (config.embedding.provider === 'local') {
    const { modelPath } = describeLocalEmbedding(config);
    // Without the model file: the documented lexical fallback (system-check and the worker's start-up say so).
    if (!modelPath) return createLexicalEmbedder(dims);
    const local = localModelEmbedder(modelPath);
    return {
      kind: 'local',
      dimensions: dims,
      describe: () => `local embedding model ${local.modelId} (${dims} dims): texts are compared by meaning`,
      embed: (texts) => local.embed(texts),
    };
  }
  let client: LlmClient | undefined;
  const embeddingClient = () => {
    if (!config.embedding.base_url) return llm();
    client ??= new LlmClient(
      llmEndpointConfig(config, { baseURL: config.embedding.base_url, apiKey: config.embedding.api_key, model: config.embedding.model }),
    );
    return client;
  };
  return {
    kind: 'openai',
    dimensions: dims,
    describe: () => `embedding model ${config.embedding.model} behind an OpenAI-compatible endpoint (${dims} dims): texts are compared by meaning`,
    embed: async (texts) => {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += config.embedding.batch_size) {
        const { vectors } = await embeddingClient().embed(texts.slice(i, i + config.embedding.batch_size), {
          model: config.embedding.model,
          dimensions: dims,
        });
        out.push(...vectors);
      }
      return out;
    },
  };
}

export function createActivityDeps(config: DatacreekConfig, opts: { databaseUrl?: string } = {}): ActivityDeps {
  const database = connectDatabase(opts.databaseUrl ?? config.database.url, { poolSize: config.database.pool_size });
  let store: Promise<VectorStore> | undefined;
  let objects: ObjectStore | undefined;
  let llmClient: LlmClient | undefined;
  let rewardClient: LlmClient | undefined;
  const llm = () => (llmClient ??= new LlmClient(llmEndpointConfig(config)));
  return {
    config,
    database,
    vectors: () => (store ??= openConfiguredVectorStore(config)),
    objectStore: () => (objects ??= openObjectStore(config.storage)),
    embedder: createEmbedder(config, llm),
    llm,
    rewardLlm: () =>
      (rewardClient ??= new LlmClient(
        llmEndpointConfig(config, { baseURL: config.reward.base_url, apiKey: config.reward.api_key, model: config.reward.model }),
      )),
    close: async () => {
      await database.close();
      if (store) await (await store).close();
      objects?.close();
    },
  };
}
