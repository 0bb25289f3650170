// The LLM blocks: LLMBlock (and LLMLogProbBlock, which InstructLab runs exactly as an LLMBlock),
// ConditionalLLMBlock and LLMMessagesBlock. Per row: render the prompt, call the endpoint (`/v1/completions`
// with the model family's prompt format, as InstructLab does, or chat completions), parse every choice into
// rows. Rows are called concurrently; the endpoint's shared limiter decides how many run at once. A call
// that fails for good (a 400 such as an over-long prompt) rejects its row; a failure that may pass later
// (endpoint down, out of retries on 5xx) is thrown so the activity is retried.
import { LlmRequestError, type LlmClient } from '../../../infra/llm';
import { addTokenCounts, emptyTokenCount, type LlmMessage, type TokenCount } from '../../../infra/llm';
import { resolveModelFamily, wrapForCompletion } from '../model-prompts';
import { parseRows, type OutputParser } from '../parse-output';
import { compileTemplate, renderTemplate } from '../template';
import type { PipelineRow, PromptConfig, ResolvedBlock, RowReject } from '../types';
import type { BlockOutput } from './column-blocks';

/** InstructLab's default max_tokens for LLM blocks. */
export const DEFAULT_MAX_TOKENS = 4096;

export type LlmApi = 'completions' | 'chat';

export interface LlmBlockContext {
  llm: LlmClient;
  /** The run's model (gen_kwargs.model wins over it). */
  model: string;
  /** Overrides every block's model_family, as InstructLab's --model-family does. */
  modelFamily?: string;
  api: LlmApi;
  /** What `n: scaled` means. */
  numInstructions?: number;
  /** The sampling seed for blocks whose gen_kwargs set none (a build's later rounds vary it). */
  seed?: number;
  signal?: AbortSignal;
  /** Called after each row's call, so a long block keeps its activity's heartbeat. */
  onRowDone?: () => void;
}

export interface GenerationSettings {
  model: string;
  temperature: number;
  maxTokens: number;
  n: number;
  seed?: number;
  extraBody?: Record<string, unknown>;
}

/** gen_kwargs over InstructLab's defaults (temperature 0, max_tokens 4096), with `n: scaled` resolved. */
export function generationSettings(block: ResolvedBlock, ctx: Pick<LlmBlockContext, 'model' | 'numInstructions' | 'seed'>): GenerationSettings {
  const kwargs = block.config.gen_kwargs ?? {};
  let n = kwargs.n ?? 1;
  if (n === 'scaled') {
    if (!ctx.numInstructions)
      throw new Error(`block ${block.name}: gen_kwargs.n is "scaled" but no number of instructions was given; run with --num-instructions N`);
    n = ctx.numInstructions;
  }
  const settings: GenerationSettings = {
    model: kwargs.model ?? ctx.model,
    temperature: Number(kwargs.temperature ?? 0),
    maxTokens: Math.trunc(Number(kwargs.max_tokens ?? DEFAULT_MAX_TOKENS)),
    n: Math.max(1, Math.trunc(Number(n))),
    seed: kwargs.seed ?? ctx.seed,
    extraBody: kwargs.extra_body,
  };
  // An LLMMessagesBlock asked for several samples at temperature 0 would get n copies of one answer.
  if (block.type === 'LLMMessagesBlock' && settings.n > 1 && settings.temperature <= 0) settings.temperature = 0.7;
  return settings;
}

function parserOf(block: ResolvedBlock, prompt: PromptConfig): OutputParser {
  const kwargs = block.config.parser_kwargs ?? {};
  if (kwargs.parser_name === 'custom')
    return { outputCols: block.config.output_cols, pattern: kwargs.parsing_pattern, cleanupTags: kwargs.parser_cleanup_tags ?? [] };
  return { outputCols: block.config.output_cols, startTags: prompt.startTags, endTags: prompt.endTags };
}

function permanentFailure(error: unknown): string | null {
  if (error instanceof LlmRequestError && !error.retryableLater) return `llm_error: ${error.status ?? ''} ${error.message}`.replace(/\s+/g, ' ').trim();
  return null;
}

/** Samples `n` texts for one prompt, topping up with single calls when the server ignores `n`. */
async function sample(ctx: LlmBlockContext, settings: GenerationSettings, prompt: string, callSite: string): Promise<{ texts: string[]; usage: TokenCount }> {
  let usage = emptyTokenCount();
  const texts: string[] = [];
  while (texts.length < settings.n) {
    const wanted = settings.n - texts.length;
    const common = {
      model: settings.model,
      temperature: settings.temperature,
      maxTokens: settings.maxTokens,
      n: wanted,
      seed: settings.seed,
      extraBody: settings.extraBody,
      signal: ctx.signal,
      callSite,
    };
    if (ctx.api === 'completions') {
      const result = await ctx.llm.complete({ ...common, prompt });
      usage = addTokenCounts(usage, result.usage);
      texts.push(...result.texts.slice(0, wanted).map((t) => t.trim()));
      if (result.texts.length === 0) break;
    } else {
      const result = await ctx.llm.chat({ ...common, messages: [{ role: 'user', content: prompt }] });
      usage = addTokenCounts(usage, result.usage);
      texts.push(...result.choices.slice(0, wanted).map((t) => t.trim()));
      if (result.choices.length === 0) break;
    }
  }
  return { texts, usage };
}

/**
 * One row's LLM call. A permanent failure (the endpoint refused this request for good) rejects just that row;
 * anything else is thrown so the activity retries. Either way the row counts as done for progress.
 */
async function callForRow<T>(ctx: LlmBlockContext, call: () => Promise<T>): Promise<{ value: T } | { rejected: string }> {
  try {
    return { value: await call() };
  } catch (error) {
    const reason = permanentFailure(error);
    if (reason) return { rejected: reason };
    throw error;
  } finally {
    ctx.onRowDone?.();
  }
}

export async function runPromptBlock(block: ResolvedBlock, rows: PipelineRow[], ctx: LlmBlockContext): Promise<BlockOutput & { usage: TokenCount }> {
  const settings = generationSettings(block, ctx);
  const family = resolveModelFamily(ctx.modelFamily ?? block.config.model_family, settings.model);
  const templates = Object.fromEntries(
    Object.entries(block.prompts ?? {}).map(([key, prompt]) => [key, { prompt, template: compileTemplate(prompt.template) }]),
  );
  const numSamples = block.config.batch_kwargs?.num_samples;
  let usage = emptyTokenCount();

  const results = await Promise.all(
    rows.map(async (input): Promise<{ rows: PipelineRow[]; rejects: RowReject[] }> => {
      const row: PipelineRow =
        numSamples !== undefined && !('num_samples' in input.data) ? { id: input.id, data: { ...input.data, num_samples: numSamples } } : input;
      const reject = (reason: string) => ({ rows: [], rejects: [{ rowId: row.id, reason, data: row.data }] });
      let chosen = templates['*'];
      if (!chosen) {
        const selector = block.config.selector_column_name as string;
        if (!(selector in row.data)) return reject(`missing_column: the row has no "${selector}"`);
        chosen = templates[String(row.data[selector])];
        if (!chosen) return reject(`unknown_selector: "${String(row.data[selector])}" has no entry in config_paths`);
      }
      const rendered = renderTemplate(chosen.template, row.data);
      if (!rendered.ok) return reject(rendered.reason);
      const text = rendered.text.trim();
      const prompt = ctx.api === 'completions' ? wrapForCompletion(text, family, block.config.model_prompt) : text;
      const sampled = await callForRow(ctx, () => sample(ctx, settings, prompt, `pipeline.${block.name}`));
      if ('rejected' in sampled) return reject(sampled.rejected);
      usage = addTokenCounts(usage, sampled.value.usage);
      const texts = sampled.value.texts;
      const out: { rows: PipelineRow[]; rejects: RowReject[] } = { rows: [], rejects: [] };
      const parser = parserOf(block, chosen.prompt);
      let k = 0;
      texts.forEach((answer, choice) => {
        const parsed = parseRows(answer, parser);
        if (parsed.reason) out.rejects.push({ rowId: `${row.id}.c${choice}`, reason: parsed.reason, data: { ...row.data, _answer: answer } });
        for (const values of parsed.rows) out.rows.push({ id: `${row.id}.${k++}`, data: { ...row.data, ...values } });
      });
      return out;
    }),
  );
  return { rows: results.flatMap((r) => r.rows), rejects: results.flatMap((r) => r.rejects), usage };
}

export async function runMessagesBlock(block: ResolvedBlock, rows: PipelineRow[], ctx: LlmBlockContext): Promise<BlockOutput & { usage: TokenCount }> {
  const settings = generationSettings(block, ctx);
  const { input_col: inputCol, output_col: outputCol } = block.config;
  let usage = emptyTokenCount();
  const results = await Promise.all(
    rows.map(async (row): Promise<BlockOutput> => {
      const reject = (reason: string) => ({ rows: [], rejects: [{ rowId: row.id, reason, data: row.data }] });
      const messages = row.data[inputCol];
      if (!Array.isArray(messages) || !messages.every((m) => m && typeof m.role === 'string' && typeof m.content === 'string')) {
        return reject(`bad_messages: "${inputCol}" must be a list of {role, content} messages`);
      }
      const called = await callForRow(ctx, () =>
        ctx.llm.chat({
          messages: messages as LlmMessage[],
          model: settings.model,
          temperature: settings.temperature,
          maxTokens: settings.maxTokens,
          n: settings.n,
          seed: settings.seed,
          extraBody: settings.extraBody,
          signal: ctx.signal,
          callSite: `pipeline.${block.name}`,
        }),
      );
      if ('rejected' in called) return reject(called.rejected);
      const result = called.value;
      usage = addTokenCounts(usage, result.usage);
      return { rows: [{ id: row.id, data: { ...row.data, [outputCol]: settings.n > 1 ? result.choices : result.content } }], rejects: [] };
    }),
  );
  return { rows: results.flatMap((r) => r.rows), rejects: results.flatMap((r) => r.rejects), usage };
}
