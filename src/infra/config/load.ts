// Layered configuration: configs/config.yaml (every default) → configs/prompts.yaml (default prompt set)
// → a user YAML (`-c file`) → environment variables → per-request overrides. One schema validates the result.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { isPlainObject, mergeDeep } from '../common';
import { configSchema, type ConfigOverride, type DatacreekConfig } from './schema';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_CONFIG_PATH = path.join(PROJECT_ROOT, 'configs', 'config.yaml');
export const DEFAULT_PROMPTS_PATH = path.join(PROJECT_ROOT, 'configs', 'prompts.yaml');

/** A configuration that failed validation: every problem with its path and what is allowed. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Plain = Record<string, unknown>;

function readYamlFile(file: string, what: string): Plain {
  if (!existsSync(file)) throw new ConfigError(file, [`${what} not found: ${file}. Check the path given with -c.`]);
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  if (parsed == null) return {};
  if (!isPlainObject(parsed)) throw new ConfigError(file, ['the top level must be a mapping of sections (llm:, database:, …)']);
  return parsed;
}

/** Coerce an environment string to the type of the value it replaces (so an API key "123" stays a string). */
function coerceEnvValue(raw: string, current: unknown): unknown {
  if (typeof current === 'string') return raw;
  if (typeof current === 'number') return raw.trim() === '' ? raw : Number(raw);
  if (typeof current === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    return raw;
  }
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function getPath(obj: Plain, keys: string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) cur = isPlainObject(cur) ? cur[k] : undefined;
  return cur;
}

function setPath(obj: Plain, keys: string[], value: unknown): void {
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k] as Plain;
  }
  cur[keys[keys.length - 1]] = value;
}

/** Conventional variables other tools already use, mapped onto config paths. */
const CONVENTIONAL_ENV: Record<string, string[]> = {
  OPENAI_BASE_URL: ['llm', 'base_url'],
  OPENAI_API_KEY: ['llm', 'api_key'],
  DATABASE_URL: ['database', 'url'],
  TEMPORAL_ADDRESS: ['temporal', 'address'],
  TEMPORAL_NAMESPACE: ['temporal', 'namespace'],
};

/**
 * `DATACREEK_<SECTION>_<KEY>` (e.g. DATACREEK_LLM_MAX_TOKENS=512) or, for nested keys,
 * `DATACREEK_<SECTION>__<KEY>__<KEY>` (e.g. DATACREEK_DEDUP__SEMANTIC__THRESHOLD=0.85).
 * An unknown name is an error rather than silently ignored: a typo would otherwise go unnoticed.
 */
export function envOverrides(env: NodeJS.ProcessEnv, base: Plain): { override: Plain; problems: string[] } {
  const override: Plain = {};
  const problems: string[] = [];
  for (const [name, keys] of Object.entries(CONVENTIONAL_ENV)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setPath(override, keys, coerceEnvValue(raw, getPath(base, keys)));
  }
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('DATACREEK_') || raw === undefined) continue;
    const rest = name.slice('DATACREEK_'.length).toLowerCase();
    if (['config', 'home'].includes(rest)) continue; // DATACREEK_CONFIG names a file, handled by the caller
    let keys: string[] | undefined;
    if (rest.includes('__')) keys = rest.split('__');
    else if (rest in base) keys = [rest];
    else {
      const cut = rest.indexOf('_');
      if (cut > 0) keys = [rest.slice(0, cut), rest.slice(cut + 1)];
    }
    const current = keys ? getPath(base, keys) : undefined;
    if (!keys || current === undefined) {
      problems.push(`${name}: no such setting. Use DATACREEK_<SECTION>_<KEY> with a key from configs/config.yaml.`);
      continue;
    }
    setPath(override, keys, coerceEnvValue(raw, current));
  }
  return { override, problems };
}

/** Format zod issues as `path: message`, with what is allowed where zod knows it. */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: string[] }>): string[] {
  return issues.map((issue) => {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      return `${where}: unknown setting(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; see configs/config.yaml for the known ones`;
    }
    return `${where}: ${issue.message}`;
  });
}

export interface LoadConfigOptions {
  /** A user YAML layered over the defaults (`-c file`). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Per-request or per-command overrides, applied last. */
  overrides?: ConfigOverride | Plain;
  /** Base directory that relative paths in `paths` resolve against (default: the working directory). */
  cwd?: string;
}

export function loadConfig(opts: LoadConfigOptions = {}): DatacreekConfig {
  const env = opts.env ?? process.env;
  const defaults = readYamlFile(DEFAULT_CONFIG_PATH, 'default configuration');
  if (existsSync(DEFAULT_PROMPTS_PATH)) {
    defaults.prompts = mergeDeep((defaults.prompts as Plain) ?? {}, readYamlFile(DEFAULT_PROMPTS_PATH, 'default prompts'));
  }
  let merged = defaults;
  const sources = ['configs/config.yaml'];
  const userFile = opts.file ?? env.DATACREEK_CONFIG;
  if (userFile) {
    merged = mergeDeep(merged, readYamlFile(path.resolve(opts.cwd ?? process.cwd(), userFile), 'configuration file'));
    sources.push(userFile);
  }
  const { override: fromEnv, problems } = envOverrides(env, merged);
  if (problems.length) throw new ConfigError('environment', problems);
  merged = mergeDeep(merged, fromEnv);
  if (opts.overrides) {
    merged = mergeDeep(merged, opts.overrides as Plain);
    sources.push('overrides');
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(sources.join(' + ') + ' + environment', describeIssues(result.error.issues as never));
  const cfg = resolvePaths(result.data, opts.cwd ?? process.cwd());
  // `auto`: an endpoint when one is configured, the bundled local model when none is.
  if (cfg.llm.provider === 'auto') cfg.llm = { ...cfg.llm, provider: cfg.llm.base_url ? 'openai' : 'local' };
  if (cfg.llm.provider === 'openai' && !cfg.llm.base_url) {
    throw new ConfigError('llm', [
      'llm.base_url: required with llm.provider "openai"; set OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1), or use provider "local"',
    ]);
  }
  return cfg;
}

function resolvePaths(cfg: DatacreekConfig, cwd: string): DatacreekConfig {
  const p = cfg.paths;
  const abs = (v: string) => path.resolve(cwd, v);
  const dataDir = abs(p.data_dir);
  return {
    ...cfg,
    paths: {
      data_dir: dataDir,
      exports_dir: path.resolve(dataDir, p.exports_dir),
      lancedb_dir: path.resolve(dataDir, p.lancedb_dir),
      tools_dir: abs(p.tools_dir),
    },
    ingest: { ...cfg.ingest, allowed_roots: cfg.ingest.allowed_roots.map(abs) },
    // A local store's folder is made absolute here, so every process of one machine finds the same one.
    storage: {
      ...cfg.storage,
      url: cfg.storage.url.startsWith('file:') ? `file:${path.resolve(dataDir, cfg.storage.url.slice('file:'.length))}` : cfg.storage.url,
    },
  };
}

/** A copy safe to log or show: secrets replaced, the database password masked. */
export function redactConfig(cfg: DatacreekConfig): DatacreekConfig {
  const mask = (v: string) => (v ? '***' : '');
  return {
    ...cfg,
    llm: { ...cfg.llm, api_key: mask(cfg.llm.api_key) },
    embedding: { ...cfg.embedding, api_key: mask(cfg.embedding.api_key) },
    reward: { ...cfg.reward, api_key: mask(cfg.reward.api_key) },
    api: { ...cfg.api, admin_token: mask(cfg.api.admin_token) },
    database: { ...cfg.database, url: redactUrl(cfg.database.url) },
    storage: { ...cfg.storage, secret_access_key: mask(cfg.storage.secret_access_key) },
  };
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}
