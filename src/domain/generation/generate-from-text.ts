// Generation from source text: one LLM call turns one chunk into up to
// `numItems` records of a dataset type. Items the LLM gets wrong become failures with their raw
// JSON and the reason; the rest are records.
import { z } from 'zod';
import type { LlmClient } from '../../infra/llm';
import { addTokenCounts, emptyTokenCount, type TokenCount } from '../../infra/llm';
import type { DatasetType, RecordContent } from '../records';
import { cutOffNote, itemsEnvelope, itemsJsonSchema, itemsSchemaName, lastItemIsComplete, toRecordContent } from './answer-schemas';
import { generateGroundedQa } from './grounded-qa';
import { askForJson } from './ask-json';
import { generationPromptName, renderPrompt, requirePrompt, usesPlaceholder, type PromptTemplates } from './prompts';
import type { GenerationFailure, GenerationResult, LlmCallOptions } from './types';

export interface GenerateFromTextOptions extends LlmCallOptions {
  type: DatasetType;
  /** The source chunk. */
  text: string;
  /** Items to ask for; the LLM may return fewer (or more, which are kept). */
  numItems: number;
  prompts: PromptTemplates;
  /**
   * Summary of the whole document, for templates that use {summary}. When such a template gets
   * none, the chunk is summarized first (one more call): pass the document's summary to avoid that.
   */
  summary?: string;
  /** Related chunks retrieved from the corpus, for templates that use {context}. */
  context?: string | string[];
  /**
   * Grounded QA: answers are the chunk's own sentences and questions are assembled from a question word, under
   * a schema built from the chunk (see grounded-qa.ts). For small models; other types ignore it.
   */
  grounded?: boolean;
}

const NO_CONTEXT = '(none)';

export async function generateFromText(llm: LlmClient, options: GenerateFromTextOptions): Promise<GenerationResult<RecordContent>> {
  if (!Number.isInteger(options.numItems) || options.numItems < 1) {
    throw new Error(`generateFromText: numItems must be a positive integer, got ${options.numItems}`);
  }
  if (options.text.trim() === '') throw new Error('generateFromText: the source text is empty; skip empty chunks before generating');
  if (options.grounded && options.type === 'qa') return generateGroundedQa(llm, options);
  const promptName = generationPromptName(options.type);
  const template = requirePrompt(options.prompts, promptName);

  let usage: TokenCount = emptyTokenCount();
  let summary = options.summary;
  if (summary === undefined && usesPlaceholder(template, 'summary')) {
    const summarized = await summarizeText(llm, options.text, options.prompts, { signal: options.signal });
    usage = addTokenCounts(usage, summarized.usage);
    // Without a summary the chunk can still be used: its opening stands in for one.
    summary = summarized.ok ? summarized.summary : options.text.slice(0, 400);
  }
  const context = Array.isArray(options.context) ? options.context.join('\n\n') : options.context;

  const prompt = renderPrompt(
    template,
    { text: options.text, num_pairs: options.numItems, summary: summary ?? '', context: context?.trim() ? context : NO_CONTEXT },
    promptName,
  );
  const answer = await askForJson(
    llm,
    {
      prompt,
      schema: itemsEnvelope,
      schemaName: itemsSchemaName(options.type),
      jsonSchema: itemsJsonSchema(options.type),
      callSite: `generate.${options.type}`,
    },
    options,
  );
  usage = addTokenCounts(usage, answer.usage);
  if (!answer.ok) return { items: [], failures: [{ raw: answer.raw, reason: answer.reason }], usage };

  const items: RecordContent[] = [];
  const failures: GenerationFailure[] = [];
  if (answer.value.items.length === 0) failures.push({ raw: answer.raw, reason: 'the answer held no items' });
  const answered = answer.value.items;
  answered.forEach((item, index) => {
    if (index === answered.length - 1 && answer.finishReason === 'length' && !lastItemIsComplete(answer.raw, item)) {
      failures.push({ raw: JSON.stringify(item), reason: `item ${index}: incomplete${cutOffNote('length')}` });
      return;
    }
    const converted = toRecordContent(options.type, item, { sourceText: options.text });
    if (converted.ok) items.push(converted.content);
    else failures.push({ raw: JSON.stringify(item), reason: `item ${index}: ${converted.reason}${cutOffNote(answer.finishReason)}` });
  });
  return { items, failures, usage };
}

const summaryAnswer = z.object({ summary: z.string().trim().min(1) });

export type SummaryResult = { ok: true; summary: string; usage: TokenCount } | { ok: false; raw: string; reason: string; usage: TokenCount };

/** Summarizes a text with the `document_summary` prompt: context for templates that use {summary}. */
export async function summarizeText(llm: LlmClient, text: string, prompts: PromptTemplates, options: LlmCallOptions = {}): Promise<SummaryResult> {
  const prompt = renderPrompt(requirePrompt(prompts, 'document_summary'), { text }, 'document_summary');
  const answer = await askForJson(llm, { prompt, schema: summaryAnswer, schemaName: 'document_summary', callSite: 'summarize' }, options);
  if (!answer.ok) return { ok: false, raw: answer.raw, reason: answer.reason, usage: answer.usage };
  return { ok: true, summary: answer.value.summary, usage: answer.usage };
}
