// The local model provider: an in-process OpenAI-compatible server on a GGUF model (node-llama-cpp), and
// the config resolution that points datacreek at it. See docs/local-model.md.
export { resolveLocalProvider, type LocalProvider, type LocalProviderOptions } from './provider';
export { startLocalLlmServer, DEFAULT_CONTEXT_SIZE, DEFAULT_PARALLEL_SEQUENCES, type LocalLlmServer, type LocalLlmServerOptions } from './server';
export {
  resolveLocalModelFile,
  modelIdFromPath,
  DEFAULT_LOCAL_MODEL_FILE,
  DEFAULT_LOCAL_MODEL_REF,
  DEFAULT_MODELS_DIR,
  type LocalModelSource,
} from './model-file';
export { toGrammarSchema, type GrammarSchemaResult } from './json-schema-grammar';
export { loadNodeLlamaCpp, type LocalGpuSetting } from './runtime';
export { describeLocalEmbedding, localModelEmbedder, FETCH_EMBEDDING_HINT } from './local-embedder';
export * from './local-embedder';
