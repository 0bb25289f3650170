// How each record type becomes the rows of each export format. One place decides this, so the line
// formats, CSV, the HF layout and the round trips all agree.
import { composeAlpacaPrompt } from '../import/row-values';
import type { ChatMessage, DatasetRecord, DatasetType, RecordContent } from '../../records';
import { ExportFormatError } from '../errors';
import { DEFAULT_COT_TEMPLATE, type ExportFormat, type ExportMappingOptions } from '../types';

/** Which record types each format can carry. */
export const FORMAT_ACCEPTS: Readonly<Record<ExportFormat, readonly DatasetType[]>> = {
  jsonl: ['qa', 'cot', 'summary', 'conversation', 'preference'],
  alpaca: ['qa', 'cot', 'summary', 'conversation', 'preference'],
  'openai-chat': ['qa', 'cot', 'summary', 'conversation', 'preference'],
  sharegpt: ['qa', 'cot', 'summary', 'conversation', 'preference'],
  text: ['qa', 'cot', 'summary', 'conversation', 'preference'],
  csv: ['qa', 'cot', 'summary', 'conversation', 'preference'],
  hf: ['qa', 'cot', 'summary', 'conversation', 'preference'],
  dpo: ['preference'],
  kto: ['preference'],
};

/** Fails before anything is written when a record's type cannot be carried by the format. */
export function assertFormatCarries(format: ExportFormat, records: readonly DatasetRecord[]): void {
  const accepted = FORMAT_ACCEPTS[format];
  const refused = records.filter((r) => !accepted.includes(r.content.type));
  if (refused.length === 0) return;
  const byType = new Map<string, number>();
  refused.forEach((r) => byType.set(r.content.type, (byType.get(r.content.type) ?? 0) + 1));
  const counts = [...byType].map(([type, n]) => `${n} ${type}`).join(', ');
  throw new ExportFormatError(
    format,
    `accepts only ${accepted.join(', ')} records, but got ${counts} (first: record "${refused[0].id}")`,
    accepted.includes('preference') && accepted.length === 1
      ? 'Build a preference dataset (prompt/chosen/rejected pairs) for DPO, ORPO or KTO, or export these records to alpaca, sharegpt or openai-chat for SFT'
      : 'Choose a format that carries these record types',
  );
}

function recordError(format: string, record: DatasetRecord, problem: string, hint: string): ExportFormatError {
  return new ExportFormatError(format, `record "${record.id}" ${problem}`, hint);
}

export function cotText(reasoning: string, answer: string, template = DEFAULT_COT_TEMPLATE): string {
  return template.replaceAll('{reasoning}', reasoning).replaceAll('{answer}', answer);
}

/** The chat turns a record trains: qa/cot/summary/preference as one user → assistant exchange. */
export function chatMessagesOf(content: RecordContent, opts: ExportMappingOptions = {}): ChatMessage[] {
  const exchange = (user: string, assistant: string): ChatMessage[] => [
    { role: 'user', content: user },
    { role: 'assistant', content: assistant },
  ];
  let messages: ChatMessage[];
  switch (content.type) {
    case 'qa':
      messages = exchange(content.question, content.answer);
      break;
    case 'cot':
      messages = exchange(content.question, cotText(content.reasoning, content.answer, opts.cotTemplate));
      break;
    case 'summary':
      messages = exchange(composeAlpacaPrompt(content.instruction, content.input), content.summary);
      break;
    case 'preference':
      messages = exchange(content.prompt, content.chosen);
      break;
    case 'conversation':
      messages = content.messages;
      break;
  }
  // A record's own system message wins over the export-wide one.
  if (opts.systemPrompt && messages[0]?.role !== 'system') {
    messages = [{ role: 'system', content: opts.systemPrompt }, ...messages];
  }
  return messages;
}

/** Checks that every turn has text and at least one assistant turn exists (what trainers need). */
function assertTrainableChat(format: string, record: DatasetRecord, messages: ChatMessage[]): void {
  const empty = messages.findIndex((m) => m.content.trim() === '');
  if (empty >= 0) {
    throw recordError(format, record, `has an empty ${messages[empty].role} message (turn ${empty + 1})`, 'Remove or fix the record before exporting');
  }
  if (!messages.some((m) => m.role === 'assistant')) {
    throw recordError(format, record, 'has no assistant message', 'Remove or fix the record before exporting');
  }
}

interface AlternatingTurns {
  system?: string;
  pairs: [string, string][];
}

/**
 * Alpaca and ShareGPT (as LLaMA-Factory and FastChat read them) need an optional system message, then user
 * and assistant turns alternating, starting with user and ending with assistant.
 */
function alternatingTurns(format: string, record: DatasetRecord, messages: ChatMessage[]): AlternatingTurns {
  const [first, ...rest] = messages;
  const system = first?.role === 'system' ? first.content : undefined;
  const turns = system === undefined ? messages : rest;
  const ok = turns.length >= 2 && turns.length % 2 === 0 && turns.every((m, i) => m.role === (i % 2 === 0 ? 'user' : 'assistant'));
  if (!ok) {
    throw recordError(
      format,
      record,
      `has turns ${messages.map((m) => m.role).join(' → ')}; ${format} needs user and assistant turns alternating, starting with user and ending with assistant (after an optional system message)`,
      'Export it to openai-chat, which carries any turn order, or fix the conversation',
    );
  }
  const pairs: [string, string][] = [];
  for (let i = 0; i < turns.length; i += 2) pairs.push([turns[i].content, turns[i + 1].content]);
  return { system, pairs };
}

/** metadata.alpaca keeps the instruction/input split of an imported Alpaca row, valid while the prompt is unchanged. */
function alpacaPromptParts(prompt: string, metadata: Record<string, unknown> | undefined): { instruction: string; input: string } {
  const kept = metadata?.alpaca as { instruction?: unknown; input?: unknown } | undefined;
  if (kept && typeof kept.instruction === 'string' && typeof kept.input === 'string') {
    if (composeAlpacaPrompt(kept.instruction, kept.input) === prompt) return { instruction: kept.instruction, input: kept.input };
  }
  return { instruction: prompt, input: '' };
}

export interface AlpacaRow {
  instruction: string;
  input: string;
  output: string;
  system?: string;
  history?: [string, string][];
  metadata?: Record<string, unknown>;
}

export function alpacaRowOf(record: DatasetRecord, opts: ExportMappingOptions = {}): AlpacaRow {
  const { content } = record;
  let parts: { instruction: string; input: string };
  let output: string;
  let system = opts.systemPrompt;
  let history: [string, string][] = [];
  switch (content.type) {
    case 'summary':
      parts = { instruction: content.instruction, input: content.input };
      output = content.summary;
      break;
    case 'conversation': {
      assertTrainableChat('alpaca', record, content.messages);
      const turns = alternatingTurns('alpaca', record, content.messages);
      const [lastUser, lastAssistant] = turns.pairs[turns.pairs.length - 1];
      parts = alpacaPromptParts(lastUser, record.metadata);
      output = lastAssistant;
      history = turns.pairs.slice(0, -1);
      system = turns.system ?? system;
      break;
    }
    default: {
      const [user, assistant] = chatMessagesOf(content, { cotTemplate: opts.cotTemplate });
      parts = alpacaPromptParts(user.content, record.metadata);
      output = assistant.content;
    }
  }
  if (parts.instruction.trim() === '' || output.trim() === '') {
    throw recordError('alpaca', record, 'has an empty instruction or output', 'Remove or fix the record before exporting');
  }
  const row: AlpacaRow = { instruction: parts.instruction, input: parts.input, output };
  if (system) row.system = system;
  if (history.length > 0) row.history = history;
  if (opts.keepMetadata && record.metadata) row.metadata = record.metadata;
  return row;
}

export interface SharegptRow {
  id: string;
  conversations: { from: 'system' | 'human' | 'gpt'; value: string }[];
  metadata?: Record<string, unknown>;
}

const SHAREGPT_FROM = { system: 'system', user: 'human', assistant: 'gpt' } as const;

export function sharegptRowOf(record: DatasetRecord, opts: ExportMappingOptions = {}): SharegptRow {
  const messages = chatMessagesOf(record.content, opts);
  assertTrainableChat('sharegpt', record, messages);
  alternatingTurns('sharegpt', record, messages);
  const row: SharegptRow = {
    id: sourceIdOrId(record),
    conversations: messages.map((m) => ({ from: SHAREGPT_FROM[m.role], value: m.content })),
  };
  if (opts.keepMetadata && record.metadata) row.metadata = record.metadata;
  return row;
}

export interface OpenaiChatRow {
  messages: ChatMessage[];
  metadata?: Record<string, unknown>;
}

export function openaiChatRowOf(record: DatasetRecord, opts: ExportMappingOptions = {}): OpenaiChatRow {
  const messages = chatMessagesOf(record.content, opts);
  assertTrainableChat('openai-chat', record, messages);
  const row: OpenaiChatRow = { messages: messages.map(({ role, content }) => ({ role, content })) };
  if (opts.keepMetadata && record.metadata) row.metadata = record.metadata;
  return row;
}

/** Continued pre-training text: the turns' text without a chat template or a system prompt. */
export function textRowOf(record: DatasetRecord, opts: ExportMappingOptions = {}): { text: string } {
  const messages = chatMessagesOf(record.content, { cotTemplate: opts.cotTemplate });
  const text = messages
    .filter((m) => m.role !== 'system')
    .map((m) => m.content.trim())
    .filter((t) => t !== '')
    .join('\n\n');
  if (text === '') throw recordError('text', record, 'has no text', 'Remove or fix the record before exporting');
  return { text };
}

export interface DpoRow {
  prompt: string;
  chosen: string;
  rejected: string;
}

function preferenceOf(format: string, record: DatasetRecord): Extract<RecordContent, { type: 'preference' }> {
  const { content } = record;
  if (content.type !== 'preference') {
    throw recordError(format, record, `is ${content.type}; ${format} carries only preference records`, 'Export it to alpaca, sharegpt or openai-chat');
  }
  if ([content.prompt, content.chosen, content.rejected].some((t) => t.trim() === '')) {
    throw recordError(format, record, 'has an empty prompt, chosen or rejected text', 'Remove or fix the record before exporting');
  }
  return content;
}

/** DPO and ORPO (TRL, LLaMA-Factory, axolotl) read the same prompt/chosen/rejected triple. */
export function dpoRowOf(record: DatasetRecord): DpoRow {
  const { prompt, chosen, rejected } = preferenceOf('dpo', record);
  return { prompt, chosen, rejected };
}

export interface KtoRow {
  prompt: string;
  completion: string;
  label: boolean;
}

/** KTO needs only a desirable/undesirable label, so one pair gives one row of each. */
export function ktoRowsOf(record: DatasetRecord): KtoRow[] {
  const { prompt, chosen, rejected } = preferenceOf('kto', record);
  return [
    { prompt, completion: chosen, label: true },
    { prompt, completion: rejected, label: false },
  ];
}

/** datacreek's own lossless row: id, type, the content fields, score, source, metadata. */
export function rawRowOf(record: DatasetRecord): Record<string, unknown> {
  return {
    id: record.id,
    ...record.content,
    score: record.score ?? null,
    source: record.source ?? null,
    metadata: record.metadata ?? {},
  };
}

/** The id a source dataset gave the row (kept on import), else datacreek's own. */
function sourceIdOrId(record: DatasetRecord): string {
  const sourceId = record.metadata?.sourceId;
  return typeof sourceId === 'string' && sourceId !== '' ? sourceId : record.id;
}

/** The rows one record becomes in a JSON Lines format (KTO gives two). */
export function lineRowsOf(format: Exclude<ExportFormat, 'csv' | 'hf'>, record: DatasetRecord, opts: ExportMappingOptions): object[] {
  switch (format) {
    case 'jsonl':
      return [rawRowOf(record)];
    case 'alpaca':
      return [alpacaRowOf(record, opts)];
    case 'openai-chat':
      return [openaiChatRowOf(record, opts)];
    case 'sharegpt':
      return [sharegptRowOf(record, opts)];
    case 'text':
      return [textRowOf(record, opts)];
    case 'dpo':
      return [dpoRowOf(record)];
    case 'kto':
      return ktoRowsOf(record);
  }
}
