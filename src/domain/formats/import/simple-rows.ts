// Rows that are already close to a record: {question, answer}, {prompt, chosen, rejected}, datacreek's own
// export rows, and any other layout through a field mapping.
import { DATASET_TYPES, recordContentSchema, type ChatMessage, type DatasetType, type RecordContent } from '../../records';
import { asList, asObject, asText, embeddedMetadataOf, getPath, isObject, problem, record, requiredText, sourceIdOf, type RowOutcome } from './row-values';

/** `{question, answer}` (Synthetic Data Kit) → qa; with a `reasoning` field → cot. */
export function qaRow(row: Record<string, unknown>): RowOutcome {
  const question = requiredText(row, 'question');
  if ('error' in question) return problem(question.error);
  const answer = requiredText(row, 'answer');
  if ('error' in answer) return problem(answer.error);
  const metadata = { ...embeddedMetadataOf(row), ...sourceIdOf(row) };
  const reasoning = asText(row.reasoning);
  if (reasoning !== undefined && reasoning.trim() !== '') {
    return record({ type: 'cot', question: question.value, reasoning, answer: answer.value }, metadata);
  }
  return record({ type: 'qa', question: question.value, answer: answer.value }, metadata);
}

/**
 * `{prompt, chosen, rejected}` → preference. Each side may also be a one-message list in the conversational
 * form TRL uses (`[{role, content}]`); longer conversations are not a single prompt/completion pair.
 */
export function preferenceRow(row: Record<string, unknown>): RowOutcome {
  const sides: Record<'prompt' | 'chosen' | 'rejected', string> = { prompt: '', chosen: '', rejected: '' };
  for (const field of ['prompt', 'chosen', 'rejected'] as const) {
    const text = preferenceSide(row[field]);
    if ('error' in text) return problem(`"${field}" ${text.error}`);
    sides[field] = text.value;
  }
  if (sides.chosen === sides.rejected) return problem('"chosen" and "rejected" are identical');
  return record({ type: 'preference', ...sides }, { ...embeddedMetadataOf(row), ...sourceIdOf(row) });
}

function preferenceSide(value: unknown): { value: string } | { error: string } {
  if (value === undefined || value === null) return { error: 'is missing' };
  const text = asText(value);
  if (text !== undefined) return text.trim() === '' ? { error: 'is empty' } : { value: text };
  const list = asList(value);
  if (list && list.length === 1 && isObject(list[0])) {
    const content = asText(list[0].content);
    if (content !== undefined && content.trim() !== '') return { value: content };
  }
  return { error: 'is neither text nor a single {role, content} message' };
}

const CONTENT_FIELDS: Readonly<Record<DatasetType, readonly string[]>> = {
  qa: ['question', 'answer'],
  cot: ['question', 'reasoning', 'answer'],
  summary: ['instruction', 'input', 'summary'],
  conversation: ['messages'],
  preference: ['prompt', 'chosen', 'rejected'],
};

/** Fields a mapping may target for each record type, and which of them may be left out. */
export const MAPPABLE_FIELDS: Readonly<Record<DatasetType, { required: readonly string[]; optional: readonly string[] }>> = {
  qa: { required: ['question', 'answer'], optional: [] },
  cot: { required: ['question', 'reasoning', 'answer'], optional: [] },
  summary: { required: ['instruction', 'summary'], optional: ['input'] },
  conversation: { required: ['messages'], optional: [] },
  preference: { required: ['prompt', 'chosen', 'rejected'], optional: [] },
};

/** Rows written by datacreek's `jsonl` or `csv` export: `{id, type, ...content, score, source, metadata}`. */
export function datacreekRow(row: Record<string, unknown>): RowOutcome {
  const type = asText(row.type) as DatasetType | undefined;
  if (type === undefined || !DATASET_TYPES.includes(type)) {
    return problem(`"type" is ${JSON.stringify(row.type ?? null)}; expected one of ${DATASET_TYPES.join(', ')}`);
  }
  const candidate: Record<string, unknown> = { type };
  for (const field of CONTENT_FIELDS[type]) {
    candidate[field] = field === 'messages' ? asList(row[field]) : row[field];
  }
  const parsed = recordContentSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return problem(`${type} content: "${issue.path.join('.')}" ${issue.message}`);
  }
  const metadata: Record<string, unknown> = { ...(asObject(row.metadata) ?? {}), ...sourceIdOf(row) };
  const score = typeof row.score === 'number' ? row.score : Number.parseFloat(asText(row.score) ?? '');
  if (Number.isFinite(score)) metadata.sourceScore = score;
  const source = asText(row.source);
  if (source) metadata.source = source;
  return record(parsed.data, metadata);
}

/** The record type a mapping aims at, from its target fields, when the caller did not say. */
export function inferMappedType(mapping: Record<string, string>): DatasetType {
  const keys = Object.keys(mapping);
  if (keys.includes('messages')) return 'conversation';
  if (keys.includes('chosen') || keys.includes('rejected')) return 'preference';
  if (keys.includes('summary')) return 'summary';
  if (keys.includes('reasoning')) return 'cot';
  return 'qa';
}

/** Checks a mapping against its target type; returns a sentence saying what is wrong, or undefined. */
export function mappingError(mapping: Record<string, string>, type: DatasetType): string | undefined {
  const { required, optional } = MAPPABLE_FIELDS[type];
  const unknown = Object.keys(mapping).filter((k) => !required.includes(k) && !optional.includes(k));
  if (unknown.length > 0) {
    return `the mapping names ${unknown.map((k) => `"${k}"`).join(', ')}, which ${type} records do not have (they have ${[...required, ...optional].join(', ')})`;
  }
  const missing = required.filter((k) => !(k in mapping));
  if (missing.length > 0) return `the mapping for ${type} records lacks ${missing.map((k) => `"${k}"`).join(', ')}`;
  return undefined;
}

/** Any row through `{ targetField: 'source.path' }`. */
export function mappedRow(row: Record<string, unknown>, mapping: Record<string, string>, type: DatasetType): RowOutcome {
  const candidate: Record<string, unknown> = { type };
  for (const [field, path] of Object.entries(mapping)) {
    const raw = getPath(row, path);
    if (field === 'messages') {
      const messages = mappedMessages(raw);
      if ('error' in messages) return problem(`"${path}" ${messages.error}`);
      candidate.messages = messages.value;
      continue;
    }
    const text = asText(raw);
    if (text === undefined) return problem(`"${path}" (mapped to ${field}) is ${raw === undefined ? 'missing' : 'not text'}`);
    if (text.trim() === '' && MAPPABLE_FIELDS[type].required.includes(field)) {
      return problem(`"${path}" (mapped to ${field}) is empty`);
    }
    candidate[field] = text;
  }
  if (type === 'summary' && candidate.input === undefined) candidate.input = '';
  const parsed = recordContentSchema.safeParse(candidate);
  if (!parsed.success) return problem(`${type} content: ${parsed.error.issues[0].message}`);
  return record(parsed.data as RecordContent, sourceIdOf(row));
}

const MESSAGE_ROLES: Readonly<Record<string, ChatMessage['role']>> = {
  system: 'system',
  user: 'user',
  human: 'user',
  assistant: 'assistant',
  gpt: 'assistant',
};

function mappedMessages(raw: unknown): { value: ChatMessage[] } | { error: string } {
  const list = asList(raw);
  if (!list) return { error: 'is not a list of messages' };
  const messages: ChatMessage[] = [];
  for (const [i, item] of list.entries()) {
    if (!isObject(item)) return { error: `[${i}] is not a message object` };
    const role = MESSAGE_ROLES[(asText(item.role ?? item.from) ?? '').toLowerCase()];
    const content = asText(item.content ?? item.value);
    if (!role || content === undefined) return { error: `[${i}] needs role/from (system, user, assistant) and content/value` };
    messages.push({ role, content });
  }
  if (messages.length < 2) return { error: 'has fewer than two messages' };
  return { value: messages };
}
