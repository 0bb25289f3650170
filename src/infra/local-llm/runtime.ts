// node-llama-cpp is an optional dependency (its prebuilt llama.cpp binaries weigh ~725 MB), so it is loaded
// only when a local model is asked for, and its absence becomes an error that says how to install it.
import type { Llama } from 'node-llama-cpp';

export type NodeLlamaCpp = typeof import('node-llama-cpp');

export type LocalGpuSetting = 'auto' | false;

let moduleLoad: Promise<NodeLlamaCpp> | undefined;
const llamas = new Map<string, Promise<Llama>>();

export async function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  moduleLoad ??= import('node-llama-cpp').catch((error: unknown) => {
    moduleLoad = undefined;
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(
      `llm.provider "local" needs the optional dependency node-llama-cpp, which could not be loaded (${detail}). ` +
        'Install it with `npm install` (optional dependencies included; not `--omit=optional`) or run `bash scripts/setup.sh`.',
    );
  });
  return moduleLoad;
}

/**
 * One llama.cpp runtime per GPU setting for the whole process: loading the native binding takes a second
 * or two, and every model and context shares its thread pool. `'auto'` uses a GPU when one works and the CPU
 * otherwise; `false` forces the CPU.
 */
export async function sharedLlama(gpu: LocalGpuSetting = 'auto'): Promise<Llama> {
  const key = String(gpu);
  let llama = llamas.get(key);
  if (!llama) {
    llama = loadNodeLlamaCpp().then(({ getLlama, LlamaLogLevel }) =>
      // `build: 'never'`: never try to compile llama.cpp (which would download its sources) when the
      // prebuilt binary does not load; say so instead.
      getLlama({ gpu, build: 'never', logLevel: LlamaLogLevel.error }).catch((error: unknown) => {
        const detail = error instanceof Error ? error.message : String(error);
        throw new Error(
          `node-llama-cpp has no working prebuilt llama.cpp binary for ${process.platform}-${process.arch} (${detail}). ` +
            'Reinstall it with `npm install` so its @node-llama-cpp/* platform package is present, or use llm.provider "openai" with a served model.',
        );
      }),
    );
    llama.catch(() => llamas.delete(key));
    llamas.set(key, llama);
  }
  return llama;
}
