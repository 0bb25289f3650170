// Settings of a `-c` file that become workflow inputs. The workflows take unset inputs from the worker's own
// configuration, which has never seen the file given to the CLI; so what the file sets is passed along as
// inputs, and command options, merged over them, win. Only keys the file itself sets are passed: a worker
// configured otherwise keeps its defaults for everything else.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { DatacreekConfig } from '../config/schema';

type Plain = Record<string, unknown>;

/** The parsed `-c` file (or DATACREEK_CONFIG), or null when none was given. */
export function readConfigFile(file: string | undefined): Plain | null {
  const chosen = file ?? process.env.DATACREEK_CONFIG;
  if (!chosen) return null;
  const parsed = parseYaml(readFileSync(path.resolve(chosen), 'utf8')) as unknown;
  return typeof parsed === 'object' && parsed !== null ? (parsed as Plain) : null;
}

function has(file: Plain, dotted: string): boolean {
  let node: unknown = file;
  for (const key of dotted.split('.')) {
    if (typeof node !== 'object' || node === null || !(key in node)) return false;
    node = (node as Plain)[key];
  }
  return true;
}

/** `target` with `value` at `dotted`, creating objects on the way. */
function put(target: Plain, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Plain;
  node[keys[keys.length - 1]] = value;
}

/**
 * The build input fields the file sets, each taken from the validated config (so already checked), as
 * [config key, input path, value].
 */
function buildMappings(config: DatacreekConfig): Array<[string, string, unknown]> {
  const mode = config.generation.mode;
  return [
    ['generation.type', 'type', config.generation.type],
    ['generation.items_per_chunk', 'itemsPerChunk', config.generation.items_per_chunk],
    ['generation.batch_size', 'batchSize', config.generation.batch_size],
    ['generation.max_batches_in_flight', 'concurrency', config.generation.max_batches_in_flight],
    ['generation.max_rounds', 'maxRounds', config.generation.max_rounds],
    ['generation.token_budget', 'tokenBudget', config.generation.token_budget],
    ['generation.mode', 'generation.mode', mode === 'auto' ? undefined : mode],
    ['llm.temperature', 'generation.temperature', config.llm.temperature],
    ['llm.max_tokens', 'generation.maxTokens', config.llm.max_tokens],
    ['curate.scoring', 'scoring.mode', config.curate.scoring],
    ['curate.threshold', 'scoring.threshold', config.curate.threshold],
    ['reward.threshold', 'scoring.rewardThreshold', config.reward.threshold],
    ['curate.filters', 'filters', config.curate.filters],
    ['dedup.exact', 'dedup.exact', config.dedup.exact],
    ['dedup.minhash.enabled', 'dedup.minhash.enabled', config.dedup.minhash.enabled],
    ['dedup.minhash.threshold', 'dedup.minhash.threshold', config.dedup.minhash.threshold],
    ['dedup.semantic.enabled', 'dedup.semantic.enabled', config.dedup.semantic.enabled],
    ['dedup.semantic.threshold', 'dedup.semantic.threshold', config.dedup.semantic.threshold],
    ['prompts', 'prompts', config.prompts],
  ];
}

function curateMappings(config: DatacreekConfig): Array<[string, string, unknown]> {
  return [
    ['curate.scoring', 'scoring', config.curate.scoring],
    ['curate.threshold', 'threshold', config.curate.threshold],
    ['curate.filters', 'filters', config.curate.filters],
  ];
}

function exportMappings(config: DatacreekConfig): Array<[string, string, unknown]> {
  return [
    ['export.format', 'format', config.export.format],
    ['export.split', 'split', config.export.split],
    ['export.seed', 'seed', config.export.seed],
    ['export.system_prompt', 'systemPrompt', config.export.system_prompt || undefined],
    ['export.stratify_by_source', 'stratifyBySource', config.export.stratify_by_source],
  ];
}

const MAPPINGS = { build: buildMappings, curate: curateMappings, export: exportMappings } as const;

/** The input fields of `kind` that the config file sets. */
export function inputsFromConfigFile(kind: keyof typeof MAPPINGS, file: Plain | null, config: DatacreekConfig): Plain {
  const inputs: Plain = {};
  if (!file) return inputs;
  for (const [key, inputPath, value] of MAPPINGS[kind](config)) if (has(file, key) && value !== undefined) put(inputs, inputPath, value);
  return inputs;
}

/** `fromFile` with `fromOptions` over it, object by object; undefined options do not erase file values. */
export function withOptionsOver(fromFile: Plain, fromOptions: Plain): Plain {
  const merged: Plain = { ...fromFile };
  for (const [key, value] of Object.entries(fromOptions)) {
    if (value === undefined) continue;
    const base = merged[key];
    merged[key] =
      typeof value === 'object' && value !== null && !Array.isArray(value) && typeof base === 'object' && base !== null && !Array.isArray(base)
        ? withOptionsOver(base as Plain, value as Plain)
        : value;
  }
  return merged;
}
