// Reading a pipeline file: YAML → version rules → the file schema → each block's config schema → the prompt
// configs it references (required keys, templates that compile, tags parallel to output_cols) → the columns
// each block reads against what the input and the earlier blocks produce. Every problem is collected with
// its file, block and path and a fix; nothing runs unless the list is empty.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { filterStepConfigSchema } from '../quality';
import { PipelineValidationError, type PipelineIssue } from './errors';
import { BLOCK_CONFIG_SCHEMAS, BLOCK_TYPES, LLM_PROMPT_BLOCKS, PIPELINE_FILE_SCHEMA, type BlockType } from './json-schema';
import { isModelFamily, MODEL_FAMILIES } from './model-prompts';
import { toJsRegExp } from './parse-output';
import { mappingColumns, resolveRecordMapping } from './record-mapping';
import { compileTemplate, templateVariables } from './template';
import type { PromptConfig, ResolvedBlock, ResolvedPipeline } from './types';

export const PARSER_MAJOR = 1;
export const PARSER_MINOR = 0;
const PROMPT_KEYS = ['system', 'introduction', 'principles', 'examples', 'generation'] as const;
/** The columns a dataset's chunks become (see the SourceBlock). */
export const CHUNK_COLUMNS = ['document', 'chunk_id', 'source_id'];

export interface LoadOptions {
  /** Shown in messages: the file's path, or `(request body)`. */
  file: string;
  /** Where `config_path` values are relative to (the pipeline file's folder). */
  baseDir: string;
  /** The input rows' columns when known: then a column nobody produces is an error, not a requirement. */
  inputColumns?: string[];
  /** Set when running: `n: scaled` needs it. */
  numInstructions?: number;
  /** When set, every file the pipeline references must be inside this folder (pipelines sent over the API). */
  confineTo?: string;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateFile = ajv.compile(PIPELINE_FILE_SCHEMA);
const validateConfig = Object.fromEntries(BLOCK_TYPES.map((type) => [type, ajv.compile(BLOCK_CONFIG_SCHEMAS[type])])) as Record<
  BlockType,
  ReturnType<typeof ajv.compile>
>;

export function loadPipelineFile(path: string, options: Partial<Omit<LoadOptions, 'file' | 'baseDir'>> = {}): ResolvedPipeline {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PipelineValidationError([
      {
        file: path,
        path: '(file)',
        message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        fix: 'check the path; pipeline files are YAML (see configs/pipelines/)',
      },
    ]);
  }
  return loadPipeline(text, { ...options, file: path, baseDir: dirname(resolve(path)) });
}

export function loadPipeline(text: string, options: LoadOptions): ResolvedPipeline {
  const issues: PipelineIssue[] = [];
  const warnings: string[] = [];
  const file = options.file;
  const issue = (path: string, message: string, fix: string, block?: string) => issues.push({ file, block, path, message, fix });

  let doc: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- checked against the schema next
  try {
    doc = parseYaml(text);
  } catch (error) {
    issue('(file)', `is not valid YAML: ${(error as Error).message.split('\n')[0]}`, 'fix the YAML syntax (indentation, quotes) at the line named');
    throw new PipelineValidationError(issues);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    issue('(file)', 'is not a mapping', 'a pipeline file has `version: "1.0"` and a `blocks:` list');
    throw new PipelineValidationError(issues);
  }

  const version = checkVersion(doc.version, issue, warnings, file);
  const fileValid = validateFile(doc);
  if (!fileValid) {
    for (const error of validateFile.errors ?? []) issue(jsonPath(error), ajvMessage(error), fixFor(error));
    throw new PipelineValidationError(issues);
  }

  const blocks: ResolvedBlock[] = [];
  (doc.blocks as any[]).forEach((raw, index) => {
    const block = resolveBlock(raw, index, `blocks[${index}]`, options, issue);
    if (block) blocks.push(block);
  });
  if (blocks.length === 0 && issues.length === 0) issue('blocks', 'is empty', 'add at least one block');
  const sourceIndex = blocks.findIndex((b) => b.type === 'SourceBlock');
  if (sourceIndex > 0)
    issue(`blocks[${sourceIndex}].type`, 'a SourceBlock must be the first block', 'move it to the top of the list', label(blocks[sourceIndex]));

  const required = issues.length === 0 ? checkColumns(blocks, options, issue) : [];
  if (issues.length > 0) throw new PipelineValidationError(issues);
  return { file, version, blocks, warnings, requiredInputColumns: required };
}

function label(block: { index: number; name: string; type: string }): string {
  return `#${block.index + 1} ${block.name} (${block.type})`;
}

function checkVersion(raw: unknown, issue: (p: string, m: string, f: string) => void, warnings: string[], file: string): string {
  const version = typeof raw === 'number' ? raw.toFixed(1) : String(raw ?? '');
  const match = /^(\d+)\.(\d+)$/.exec(version);
  if (!match) {
    issue('version', `"${version}" is not a version`, 'write version: "1.0" (quoted, major.minor)');
    return version;
  }
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major > PARSER_MAJOR) {
    issue(
      'version',
      `"${version}" is from a future major version of the format; this datacreek reads ${PARSER_MAJOR}.x`,
      `write version: "${PARSER_MAJOR}.${PARSER_MINOR}" and use only 1.x features, or upgrade datacreek`,
    );
  } else if (minor > PARSER_MINOR) {
    warnings.push(
      `${file}: version "${version}" may use features of a newer format that are ignored here (this datacreek reads ${PARSER_MAJOR}.${PARSER_MINOR})`,
    );
  }
  return version;
}

function jsonPath(error: ErrorObject, prefix = ''): string {
  const parts = error.instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`));
  let path = `${prefix}${parts.join('')}`.replace(/^\./, '');
  if (error.keyword === 'additionalProperties') path += `${path ? '.' : ''}${(error.params as { additionalProperty: string }).additionalProperty}`;
  if (error.keyword === 'required') path += `${path ? '.' : ''}${(error.params as { missingProperty: string }).missingProperty}`;
  return path || '(file)';
}

function ajvMessage(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'is not a known key here';
  if (error.keyword === 'required') return 'is missing';
  if (error.keyword === 'enum') return `${error.message}: ${((error.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`;
  return error.message ?? 'is not valid';
}

function fixFor(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'remove the key or check its spelling';
  if (error.keyword === 'required') return 'add the key';
  if (error.keyword === 'type') return `give a value of type ${(error.params as { type: string }).type}`;
  return 'correct the value';
}

function configPath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function readYaml(path: string, confineTo: string | undefined): { ok: true; value: any } | { ok: false; reason: string } {
  if (confineTo && !resolve(path).startsWith(resolve(confineTo) + sep))
    return { ok: false, reason: `is outside ${confineTo}, where this pipeline may read files` };
  try {
    return { ok: true, value: parseYaml(readFileSync(path, 'utf8')) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason: code === 'ENOENT' ? 'does not exist' : code ? `cannot be read (${code})` : `is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    };
  }
}

function resolveBlock(
  raw: any,
  index: number,
  at: string,
  options: LoadOptions,
  issue: (p: string, m: string, f: string, b?: string) => void,
): ResolvedBlock | undefined {
  const type = raw.type as string;
  const name = String(raw.name);
  const where = `#${index + 1} ${name} (${type})`;
  if (!BLOCK_TYPES.includes(type as BlockType)) {
    issue(`${at}.type`, `"${type}" is not a block type`, `use one of: ${BLOCK_TYPES.join(', ')}`, where);
    return undefined;
  }
  const config = { ...(raw.config ?? {}) };
  const validate = validateConfig[type as BlockType];
  if (!validate(config)) {
    for (const error of validate.errors ?? []) issue(jsonPath(error, `${at}.config`), ajvMessage(error), fixFor(error), where);
    return undefined;
  }
  const block: ResolvedBlock = {
    index,
    name,
    type: type as BlockType,
    config,
    dropColumns: raw.drop_columns ?? [],
    dropDuplicates: raw.drop_duplicates ?? [],
  };

  if (LLM_PROMPT_BLOCKS.includes(block.type)) {
    const family = config.model_family as string | undefined;
    if (family !== undefined && !isModelFamily(family))
      issue(`${at}.config.model_family`, `"${family}" is not a known model family`, `use one of: ${MODEL_FAMILIES.join(', ')}, or set model_prompt`, where);
    const custom = config.parser_kwargs?.parser_name === 'custom';
    if (custom) {
      if (!config.parser_kwargs.parsing_pattern)
        issue(
          `${at}.config.parser_kwargs.parsing_pattern`,
          'is missing for parser_name: custom',
          'add a regex whose groups are the output_cols in order',
          where,
        );
      else {
        try {
          toJsRegExp(config.parser_kwargs.parsing_pattern);
        } catch (error) {
          issue(`${at}.config.parser_kwargs.parsing_pattern`, `is not a valid regular expression: ${(error as Error).message}`, 'fix the pattern', where);
        }
      }
    }
    const pairs: [string, string][] = block.type === 'ConditionalLLMBlock' ? config.config_paths : [[config.config_path, '*']];
    block.prompts = {};
    pairs.forEach(([path, key], i) => {
      const p = block.type === 'ConditionalLLMBlock' ? `${at}.config.config_paths[${i}][0]` : `${at}.config.config_path`;
      const prompt = loadPromptConfig(configPath(options.baseDir, path), config.output_cols, custom, p, where, issue, options.confineTo);
      if (prompt) block.prompts![block.type === 'ConditionalLLMBlock' && pairs.length === 1 && key === 'All' ? '*' : key] = prompt;
    });
    if (config.gen_kwargs?.n === 'scaled' && options.numInstructions !== undefined && !(options.numInstructions >= 1)) {
      issue(
        `${at}.config.gen_kwargs.n`,
        'is "scaled" but no number of instructions was given',
        'run with --num-instructions N (how many samples per input row)',
        where,
      );
    }
  }
  if (block.type === 'SamplePopulatorBlock') {
    block.populate = {};
    for (const [i, path] of (config.config_paths as string[]).entries()) {
      const file = config.post_fix ? path.replace('.yaml', `_${config.post_fix}.yaml`) : path;
      const loaded = readYaml(configPath(options.baseDir, file), options.confineTo);
      const key = path.split('/').pop()!.split('.')[0];
      if (!loaded.ok) issue(`${at}.config.config_paths[${i}]`, `${file} ${loaded.reason}`, 'give a path relative to the pipeline file', where);
      else if (!loaded.value || typeof loaded.value !== 'object')
        issue(`${at}.config.config_paths[${i}]`, `${file} is not a mapping`, 'a populator config is a mapping of column → value', where);
      else block.populate[key] = loaded.value;
    }
  }
  if (block.type === 'QualityFilterBlock') {
    const parsed = filterStepConfigSchema.safeParse(config.filter);
    if (!parsed.success) {
      for (const problem of parsed.error.issues)
        issue(
          `${at}.config.filter.${problem.path.join('.')}`.replace(/\.$/, ''),
          problem.message,
          'see the quality filter steps in the README (step: length, language, pii, toxicity, html_clean, score_threshold, empty)',
          where,
        );
    } else if (parsed.data.step === 'groundedness') {
      issue(`${at}.config.filter.step`, 'groundedness needs an LLM judge', 'use a JudgeBlock (it sees the source_col) instead', where);
    } else block.config = { ...config, filter: parsed.data };
  }
  if (block.type === 'IterBlock') {
    const { num_iters, block_type, ...inner } = config;
    const innerBlock = resolveBlock({ name, type: block_type, config: inner }, index, at, options, issue);
    if (innerBlock?.type === 'IterBlock' || innerBlock?.type === 'SourceBlock')
      issue(`${at}.config.block_type`, `an IterBlock cannot repeat a ${innerBlock.type}`, 'repeat an LLM or column block', where);
    else if (innerBlock) block.inner = innerBlock;
    block.config = { num_iters, block_type };
  }
  return block;
}

function loadPromptConfig(
  path: string,
  outputCols: string[],
  customParser: boolean,
  at: string,
  where: string,
  issue: (p: string, m: string, f: string, b?: string) => void,
  confineTo: string | undefined,
): PromptConfig | undefined {
  const loaded = readYaml(path, confineTo);
  if (!loaded.ok) {
    issue(at, `prompt config ${path} ${loaded.reason}`, 'config_path is relative to the pipeline file; check the path', where);
    return undefined;
  }
  const cfg = loaded.value;
  if (!cfg || typeof cfg !== 'object') {
    issue(at, `prompt config ${path} is not a mapping`, `a prompt config has the keys ${PROMPT_KEYS.join(', ')}`, where);
    return undefined;
  }
  let ok = true;
  for (const key of PROMPT_KEYS) {
    if (!(key in cfg)) {
      issue(
        `${path} › ${key}`,
        `the prompt config has no "${key}" key`,
        `add ${key}: "" if the prompt needs no ${key}; every prompt config has ${PROMPT_KEYS.join(', ')}`,
        where,
      );
      ok = false;
    }
  }
  const startTags: string[] = cfg.start_tags ?? [];
  const endTags: string[] = cfg.end_tags ?? [];
  if (!customParser) {
    if (startTags.length !== outputCols.length || endTags.length !== outputCols.length) {
      issue(
        `${path} › start_tags`,
        `start_tags (${startTags.length}) and end_tags (${endTags.length}) must have one entry per output column (${outputCols.length}: ${outputCols.join(', ')})`,
        'add a tag pair per output column ("" and "" = the whole answer), or use parser_kwargs with a parsing_pattern',
        where,
      );
      ok = false;
    }
  }
  if (!ok) return undefined;
  // Joined exactly as InstructLab joins them; a key set to null counts as empty.
  const template = PROMPT_KEYS.map((key) => (cfg[key] === null || cfg[key] === undefined ? '' : String(cfg[key]))).join('\n');
  try {
    compileTemplate(template);
    return { file: path, template, startTags, endTags, variables: templateVariables(template) };
  } catch (error) {
    issue(
      path,
      `is not a valid Jinja template: ${(error as Error).message.split('\n').pop()?.trim()}`,
      'fix the {{ }} / {% %} syntax in the prompt config',
      where,
    );
    return undefined;
  }
}

/** Column flow: what each block reads must exist by then; returns the columns the input must supply. */
function checkColumns(blocks: ResolvedBlock[], options: LoadOptions, issue: (p: string, m: string, f: string, b?: string) => void): string[] {
  const known = new Set(options.inputColumns ?? []);
  const removedBy = new Map<string, string>();
  const required = new Set<string>();
  let open = false; // after seed records of unknown shape, any column may exist

  const add = (col: string) => {
    known.add(col);
    removedBy.delete(col);
  };
  const remove = (col: string, by: string) => {
    known.delete(col);
    removedBy.set(col, by);
  };

  for (const block of blocks) {
    const where = label(block);
    const at = `blocks[${block.index}].config`;
    const need = (col: string, path: string) => {
      if (known.has(col) || open) return;
      const remover = removedBy.get(col);
      if (remover) {
        issue(
          path,
          `reads column "${col}", which block ${remover} removed`,
          `keep "${col}" (drop_columns / rename) until this block, or read another column`,
          where,
        );
      } else if (options.inputColumns) {
        const available = [...known].sort().join(', ') || '(none)';
        issue(
          path,
          `reads column "${col}", which neither the input nor an earlier block produces`,
          `use one of the columns available here: ${available}; or add a block that produces "${col}"`,
          where,
        );
      } else required.add(col);
    };
    applyBlockColumns(block, at, need, add, remove, label(block), () => (open = true));
    for (const col of block.dropDuplicates) need(col, `blocks[${block.index}].drop_duplicates`);
    for (const col of block.dropColumns) if (known.has(col)) remove(col, where);
  }
  return [...required];
}

function applyBlockColumns(
  block: ResolvedBlock,
  at: string,
  need: (col: string, path: string) => void,
  add: (col: string) => void,
  remove: (col: string, by: string) => void,
  by: string,
  openUp: () => void,
): void {
  const c = block.config;
  switch (block.type) {
    case 'SourceBlock':
      CHUNK_COLUMNS.forEach(add);
      if (c.from !== 'chunks') openUp();
      return;
    case 'LLMBlock':
    case 'LLMLogProbBlock':
    case 'ConditionalLLMBlock': {
      if (c.batch_kwargs?.num_samples !== undefined) add('num_samples');
      if (block.type === 'ConditionalLLMBlock') need(c.selector_column_name, `${at}.selector_column_name`);
      for (const prompt of Object.values(block.prompts ?? {}))
        for (const v of prompt.variables) need(v, `${at}.${block.type === 'ConditionalLLMBlock' ? 'config_paths' : 'config_path'} › {{${v}}}`);
      (c.output_cols as string[]).forEach(add);
      return;
    }
    case 'LLMMessagesBlock':
      need(c.input_col, `${at}.input_col`);
      add(c.output_col);
      return;
    case 'FilterByValueBlock':
      need(c.filter_column, `${at}.filter_column`);
      return;
    case 'SamplePopulatorBlock':
      need(c.column_name, `${at}.column_name`);
      for (const values of Object.values(block.populate ?? {})) Object.keys(values).forEach(add);
      return;
    case 'SelectorBlock':
      need(c.choice_col, `${at}.choice_col`);
      for (const [key, col] of Object.entries(c.choice_map as Record<string, string>)) need(col, `${at}.choice_map.${key}`);
      add(c.output_col);
      return;
    case 'CombineColumnsBlock':
      (c.columns as string[]).forEach((col, i) => need(col, `${at}.columns[${i}]`));
      add(c.output_col);
      return;
    case 'FlattenColumnsBlock':
      (c.var_cols as string[]).forEach((col, i) => need(col, `${at}.var_cols[${i}]`));
      (c.var_cols as string[]).forEach((col) => remove(col, by));
      add(c.value_name);
      add(c.var_name);
      return;
    case 'DuplicateColumnsBlock':
      for (const [from, to] of Object.entries(c.columns_map as Record<string, string>)) {
        need(from, `${at}.columns_map.${from}`);
        add(to);
      }
      return;
    case 'RenameColumnsBlock': {
      const map = c.columns_map as Record<string, string>;
      for (const from of Object.keys(map)) need(from, `${at}.columns_map.${from}`);
      for (const from of Object.keys(map)) remove(from, by);
      for (const to of Object.values(map)) add(to);
      return;
    }
    case 'SetToMajorityValueBlock':
      need(c.col_name, `${at}.col_name`);
      return;
    case 'IterBlock':
      if (block.inner) applyBlockColumns(block.inner, at, need, add, remove, by, openUp);
      return;
    case 'JudgeBlock':
    case 'RewardBlock':
    case 'QualityFilterBlock': {
      const mapping = resolveRecordMapping(c.record);
      mappingColumns(mapping).forEach((col) => need(col, `${at}.record`));
      if (block.type === 'JudgeBlock' && c.source_col) need(c.source_col, `${at}.source_col`);
      if (block.type === 'JudgeBlock') add(c.output_col ?? 'judge_score');
      if (block.type === 'RewardBlock') add(c.output_col ?? 'reward_score');
      return;
    }
    case 'DedupBlock':
      (c.columns as string[]).forEach((col, i) => need(col, `${at}.columns[${i}]`));
      return;
  }
}
