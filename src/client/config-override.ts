// Per-request configuration: a task body may carry `config` (inline, deep-partial, validated by the same schema as
// every config) and/or `configName` (a YAML file in configs/). The server's own settings (paths, database,
// temporal, api, ingest.allowed_roots) can never come from a request, and a workflow input only ever receives the
// handful of fields that task kind understands: no secrets, no endpoints, nothing the worker did not expect.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isPlainObject, mergeDeep } from '../infra/common';
import { describeIssues, PROJECT_ROOT } from '../infra/config';
import { configSchema, type DatacreekConfig } from '../infra/config';
import { InvalidRequestError } from './errors';

export type TaskKind = 'ingest' | 'build' | 'generate' | 'curate' | 'save';

type Plain = Record<string, unknown>;

/** Sections that describe the server itself; a request that tries to set them is refused. */
export const SERVER_ONLY_SECTIONS = ['paths', 'database', 'temporal', 'api'] as const;
const SERVER_ONLY_SETTINGS = ['ingest.allowed_roots'];

export const CONFIGS_DIR = path.join(PROJECT_ROOT, 'configs');

/** Where one overridable setting lands in a workflow input (a dotted path into the input object). */
type Target = string;
const INGEST: Record<string, Target> = {
  'ingest.include': 'include',
  'ingest.exclude': 'exclude',
  'chunking.strategy': 'chunking.strategy',
  'chunking.chunk_size': 'chunking.chunk_size',
  'chunking.overlap': 'chunking.overlap',
  'chunking.whole_document_below': 'chunking.whole_document_below',
  'chunking.similarity_drop': 'chunking.similarity_drop',
};
const GENERATE: Record<string, Target> = {
  'generation.type': 'type',
  'generation.items_per_chunk': 'itemsPerChunk',
  'generation.batch_size': 'batchSize',
  'generation.max_batches_in_flight': 'concurrency',
  'generation.max_rounds': 'maxRounds',
  'generation.token_budget': 'tokenBudget',
  'llm.temperature': 'generation.temperature',
  'llm.max_tokens': 'generation.maxTokens',
  'generation.mode': 'generation.mode',
  'dedup.exact': 'dedup.exact',
  'dedup.minhash.enabled': 'dedup.minhash.enabled',
  'dedup.minhash.threshold': 'dedup.minhash.threshold',
  'dedup.semantic.enabled': 'dedup.semantic.enabled',
  'dedup.semantic.threshold': 'dedup.semantic.threshold',
  'curate.filters': 'filters',
  'prompts.*': 'prompts.*',
};
const BUILD: Record<string, Target> = {
  ...GENERATE,
  'curate.scoring': 'scoring.mode',
  'curate.threshold': 'scoring.threshold',
  'reward.threshold': 'scoring.rewardThreshold',
};
const CURATE: Record<string, Target> = {
  'curate.scoring': 'scoring',
  'curate.threshold': 'threshold',
  'curate.filters': 'filters',
};
const SAVE: Record<string, Target> = {
  'export.format': 'format',
  'export.split': 'split',
  'export.seed': 'seed',
  'export.system_prompt': 'systemPrompt',
  'export.stratify_by_source': 'stratifyBySource',
};
export const OVERRIDABLE_SETTINGS: Record<TaskKind, Record<string, Target>> = {
  ingest: INGEST,
  build: BUILD,
  generate: GENERATE,
  curate: CURATE,
  save: SAVE,
};

export interface TaskConfigRequest {
  config?: Plain;
  configName?: string;
}

/**
 * Validates a request's config override for a task kind and returns the workflow-input fields it sets.
 * Inline settings a task kind cannot apply are refused (400); a named config may be a full config file, so only
 * its applicable settings are taken.
 */
export function resolveTaskOverrides(kind: TaskKind, base: DatacreekConfig, request: TaskConfigRequest): Plain {
  const named = request.configName ? withoutServerSettings(readNamedConfig(request.configName)) : {};
  const inline = request.config ?? {};
  refuseServerSettings(inline);

  const merged = mergeDeep(mergeDeep(base as unknown as Plain, named), inline);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = describeIssues(result.error.issues as never);
    throw new InvalidRequestError(
      'invalid_config',
      `Invalid config override: ${problems.join('; ')}`,
      'Use the sections and keys of configs/config.yaml, with values of the same kind.',
      problems.map((p) => ({ path: `config.${p.split(':')[0]}`, message: p.slice(p.indexOf(':') + 1).trim() })),
    );
  }
  const allowed = OVERRIDABLE_SETTINGS[kind];
  const inlineSettings = settingPaths(inline, allowed);
  const notApplicable = inlineSettings.filter((p) => !matchSetting(p, allowed));
  if (notApplicable.length) {
    throw new InvalidRequestError(
      'override_not_applicable',
      `A ${kind} task cannot override ${notApplicable.map((p) => `config.${p}`).join(', ')}`,
      `Per-request settings for ${kind}: ${Object.keys(allowed).join(', ')}. Everything else is the worker's configuration.`,
    );
  }
  return applicableTaskFields(kind, result.data, mergeDeep(named, inline));
}

/**
 * The workflow-input fields of a task kind that `settings` (a config file's content, or part of one) sets,
 * with their values read from `validated` (the configuration those settings were validated into). Settings the
 * task kind cannot apply are skipped.
 */
export function applicableTaskFields(kind: TaskKind, validated: DatacreekConfig, settings: Plain): Plain {
  const allowed = OVERRIDABLE_SETTINGS[kind];
  const fields: Plain = {};
  for (const setting of settingPaths(settings, allowed)) {
    const target = matchSetting(setting, allowed);
    if (!target) continue;
    setPath(fields, target, getPath(validated as unknown as Plain, setting.split('.')));
  }
  return fields;
}

function refuseServerSettings(inline: Plain): void {
  const refused = [...SERVER_ONLY_SECTIONS.filter((s) => s in inline), ...SERVER_ONLY_SETTINGS.filter((p) => getPath(inline, p.split('.')) !== undefined)];
  if (refused.length) {
    throw new InvalidRequestError(
      'override_forbidden',
      `A request cannot set ${refused.map((s) => `config.${s}`).join(', ')}`,
      `${SERVER_ONLY_SECTIONS.join(', ')} and ${SERVER_ONLY_SETTINGS.join(', ')} belong to the server's configuration; remove them from the request.`,
    );
  }
}

function withoutServerSettings(named: Plain): Plain {
  const out: Plain = { ...named };
  for (const section of SERVER_ONLY_SECTIONS) delete out[section];
  if (isPlainObject(out.ingest)) {
    const { allowed_roots: _ignored, ...rest } = out.ingest;
    out.ingest = rest;
  }
  return out;
}

/** `configName`: a file name in configs/, with or without .yaml / .yml; never a path. */
export function readNamedConfig(name: string): Plain {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..')) {
    throw new InvalidRequestError(
      'invalid_config_name',
      `configName "${name}" is not a plain file name`,
      'Name a YAML file in the server\'s configs/ folder, e.g. "fast" or "fast.yaml", without slashes or "..".',
    );
  }
  const candidates = /\.ya?ml$/i.test(name) ? [name] : [`${name}.yaml`, `${name}.yml`];
  const file = candidates.map((c) => path.join(CONFIGS_DIR, c)).find((f) => existsSync(f));
  if (!file) {
    throw new InvalidRequestError('unknown_config', `No config named "${name}" in configs/`, `Available: ${availableConfigNames().join(', ') || '(none)'}.`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidRequestError(
      'invalid_config',
      `configs/${path.basename(file)} is not valid YAML: ${(err as Error).message}`,
      'Fix the file on the server.',
    );
  }
  if (parsed == null) return {};
  if (!isPlainObject(parsed)) {
    throw new InvalidRequestError('invalid_config', `configs/${path.basename(file)} must be a mapping of sections`, 'Fix the file on the server.');
  }
  return parsed;
}

export function availableConfigNames(): string[] {
  if (!existsSync(CONFIGS_DIR)) return [];
  return readdirSync(CONFIGS_DIR)
    .filter((f) => /\.ya?ml$/i.test(f))
    .map((f) => f.replace(/\.ya?ml$/i, ''))
    .sort();
}

/** Dotted paths of the settings an override sets; a setting the table names as a whole (export.split) is one leaf. */
function settingPaths(obj: Plain, allowed: Record<string, Target>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined || (isPlainObject(value) && Object.keys(value).length === 0)) continue;
    const p = prefix ? `${prefix}.${key}` : key;
    if (!matchSetting(p, allowed) && isPlainObject(value)) out.push(...settingPaths(value, allowed, p));
    else out.push(p);
  }
  return out;
}

/** The input path a setting lands in, or undefined. `prompts.*` maps every prompt name to `prompts.<name>`. */
function matchSetting(setting: string, allowed: Record<string, Target>): string | undefined {
  if (allowed[setting]) return allowed[setting];
  for (const [pattern, target] of Object.entries(allowed)) {
    if (!pattern.endsWith('.*')) continue;
    const stem = pattern.slice(0, -1);
    const rest = setting.startsWith(stem) ? setting.slice(stem.length) : '';
    if (rest && !rest.includes('.')) return target.slice(0, -1) + rest;
  }
  return undefined;
}

function getPath(obj: Plain, keys: string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) cur = isPlainObject(cur) ? cur[k] : undefined;
  return cur;
}

function setPath(obj: Plain, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k] as Plain;
  }
  cur[keys[keys.length - 1]] = value;
}
