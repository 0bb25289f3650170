// The shapes every part of datacreek agrees on: what a training example is, independent of any
// export format. Generators produce them, curation filters and scores them, formats convert them.
import { z } from 'zod';

export const DATASET_TYPES = ['qa', 'cot', 'summary', 'conversation', 'preference'] as const;
export const datasetTypeSchema = z.enum(DATASET_TYPES);
export type DatasetType = z.infer<typeof datasetTypeSchema>;

export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** A question answered from a source text. */
export const qaContentSchema = z.object({
  type: z.literal('qa'),
  question: z.string(),
  answer: z.string(),
});
/** Chain of thought: a question, the reasoning that leads to the answer, and the answer. */
export const cotContentSchema = z.object({
  type: z.literal('cot'),
  question: z.string(),
  reasoning: z.string(),
  answer: z.string(),
});
/** A summary of a source text; `instruction` says what was asked, `input` is the text summarized. */
export const summaryContentSchema = z.object({
  type: z.literal('summary'),
  instruction: z.string(),
  input: z.string(),
  summary: z.string(),
});
/** A multi-turn conversation; an optional system message first, then user/assistant turns. */
export const conversationContentSchema = z.object({
  type: z.literal('conversation'),
  messages: z.array(chatMessageSchema).min(2),
});
/** A preference pair for DPO / ORPO (and KTO, by splitting into a desirable and an undesirable one). */
export const preferenceContentSchema = z.object({
  type: z.literal('preference'),
  prompt: z.string(),
  chosen: z.string(),
  rejected: z.string(),
});

export const recordContentSchema = z.discriminatedUnion('type', [
  qaContentSchema,
  cotContentSchema,
  summaryContentSchema,
  conversationContentSchema,
  preferenceContentSchema,
]);
export type RecordContent = z.infer<typeof recordContentSchema>;
export type QaContent = z.infer<typeof qaContentSchema>;
export type CotContent = z.infer<typeof cotContentSchema>;
export type SummaryContent = z.infer<typeof summaryContentSchema>;
export type ConversationContent = z.infer<typeof conversationContentSchema>;
export type PreferenceContent = z.infer<typeof preferenceContentSchema>;

/**
 * A record as curation, dedup and export see it: its content plus what is known about it.
 * `id` is deterministic (see src/workflows/ids.ts); `source` names the chunk or seed record it came from.
 */
export interface DatasetRecord {
  id: string;
  content: RecordContent;
  /** Judge score 1–10 and/or reward score, when scored. */
  score?: number | null;
  /** Free-form provenance and metadata: source file, chunk id, tags, original scores … */
  metadata?: Record<string, unknown>;
  /** Which source the record came from, for stratified splits (a file name, a URL, a dataset). */
  source?: string | null;
}

/**
 * The "prompt side" and "response side" of a record, as plain text: what length, language, PII and
 * dedup filters look at. One place decides this so every filter agrees.
 */
export function recordPromptText(content: RecordContent): string {
  switch (content.type) {
    case 'qa':
    case 'cot':
      return content.question;
    case 'summary':
      return `${content.instruction}\n${content.input}`.trim();
    case 'conversation':
      return content.messages
        .filter((m) => m.role === 'user')
        .map((m) => m.content)
        .join('\n');
    case 'preference':
      return content.prompt;
  }
}

export function recordResponseText(content: RecordContent): string {
  switch (content.type) {
    case 'qa':
      return content.answer;
    case 'cot':
      return `${content.reasoning}\n${content.answer}`;
    case 'summary':
      return content.summary;
    case 'conversation':
      return content.messages
        .filter((m) => m.role === 'assistant')
        .map((m) => m.content)
        .join('\n');
    case 'preference':
      return content.chosen;
  }
}

/** All the text of a record, prompt then response: what exact and near-duplicate detection hash. */
export function recordText(content: RecordContent): string {
  if (content.type === 'preference') return `${content.prompt}\n${content.chosen}\n${content.rejected}`;
  return `${recordPromptText(content)}\n${recordResponseText(content)}`;
}
