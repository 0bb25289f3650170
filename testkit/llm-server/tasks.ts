// How the test server answers: it recognizes the task from the JSON schema's name (sent as
// `response_format.json_schema.name`, or quoted by the client in the prompt as `JSON value named "…"`)
// and answers deterministically from the text in the prompt. The names follow datacreek's
// generators: `<type>_items`, `document_summary`, `judge_ratings`, `groundedness_verdict`,
// `record_variants_<kind>`; a conversation ending in an assistant turn is a reward-model request.
import type { DuplicateInjector } from './duplicates';
import type { DuplicateRates } from './options';
import {
  contentWords,
  delimitedBlocks,
  findJson,
  hash32,
  keyPhrase,
  lowerFirst,
  splitSentences,
  stripEndPunctuation,
  unitHash,
  upperFirst,
  words,
} from './text-tools';

export interface ChatMessageIn {
  role: string;
  content: unknown;
}

export interface ChatRequestBody {
  model?: unknown;
  messages?: unknown;
  response_format?: { type?: string; json_schema?: { name?: string; schema?: unknown } };
  logprobs?: boolean;
  max_tokens?: number;
  seed?: number;
  n?: number;
}

export interface TaskAnswer {
  /** The task recognized, for stats (`qa_items`, `judge_ratings`, `reward`, `freeform` …). */
  task: string;
  content: string;
  /** Whether the content is JSON (content faults only apply to JSON answers). */
  json: boolean;
  logprobs?: { token: string; logprob: number }[];
}

type Item = Record<string, unknown>;

export function messageText(message: ChatMessageIn): string {
  if (typeof message.content === 'string') return message.content;
  if (Array.isArray(message.content)) {
    return message.content.map((part) => (part && typeof part === 'object' && 'text' in part ? String(part.text) : '')).join('\n');
  }
  return '';
}

export function answerChat(body: ChatRequestBody, messages: ChatMessageIn[], duplicates: DuplicateInjector, rates: DuplicateRates): TaskAnswer {
  const last = messages[messages.length - 1];
  if (last.role === 'assistant') return answerReward(messages, body.logprobs === true);

  const userMessages = messages.filter((m) => m.role === 'user').map(messageText);
  const prompt = userMessages[0] ?? '';
  const schemaName = body.response_format?.json_schema?.name ?? lastSchemaMarker(userMessages.join('\n'));
  const wantsJson = Boolean(schemaName) || body.response_format?.type === 'json_object';

  const itemsMatch = schemaName ? /^(qa|cot|summary|conversation|preference)_items$/.exec(schemaName) : null;
  if (itemsMatch) {
    const type = itemsMatch[1];
    const items = duplicates.apply(schemaName!, generateItems(type, sourceText(prompt), requestedCount(prompt), seedOf(body)), rates);
    return json(schemaName!, { items });
  }
  const variantMatch = schemaName ? /^record_variants_([a-z_]+)$/.exec(schemaName) : null;
  if (variantMatch) {
    const variants = duplicates.apply(schemaName!, rewriteRecord(variantMatch[1], prompt, requestedCount(prompt), seedOf(body)), rates);
    return json(schemaName!, { variants });
  }
  switch (schemaName) {
    case 'document_summary':
      return json(schemaName, { summary: summarize(sourceText(prompt), 2) });
    case 'judge_ratings':
      return json(schemaName, { ratings: judge(prompt) });
    case 'groundedness_verdict':
      return json(schemaName, groundedness(prompt));
  }
  if (wantsJson) return json(schemaName ?? 'json_object', {});
  const first = splitSentences(prompt)[0] ?? '';
  return { task: 'freeform', content: `Understood. ${first}`.trim(), json: false };
}

/** A request's sampling seed varies the answer (another starting sentence, other wording), as it would a model's. */
function seedOf(body: ChatRequestBody): number {
  return typeof body.seed === 'number' && Number.isFinite(body.seed) ? Math.abs(Math.trunc(body.seed)) : 0;
}

function json(task: string, value: unknown): TaskAnswer {
  return { task, content: JSON.stringify(value), json: true };
}

function lastSchemaMarker(text: string): string | undefined {
  const matches = [...text.matchAll(/JSON value named "([\w-]+)"/g)];
  return matches.length > 0 ? matches[matches.length - 1][1] : undefined;
}

/** The source text: the first `---` block of the prompt, or the whole prompt when there is none. */
function sourceText(prompt: string): string {
  return delimitedBlocks(prompt)[0] ?? prompt;
}

/** How many items the prompt asks for ("Create 5 question-answer pairs", "Write 2 variants" …). */
function requestedCount(prompt: string): number {
  const match = /\b(?:create|generate|write|produce|give)\s+(\d{1,3})\b/i.exec(prompt);
  const count = match ? Number(match[1]) : 3;
  return Math.min(Math.max(count, 1), 50);
}

const QUESTION_FORMS = [
  (topic: string) => `What does the text say about ${topic}?`,
  (topic: string) => `According to the passage, what is true of ${topic}?`,
  (topic: string) => `How does the text describe ${topic}?`,
  (topic: string) => `What detail is given regarding ${topic}?`,
];

const SUMMARY_INSTRUCTIONS = [
  'Summarize the text in one or two sentences.',
  'Give the key points of the text.',
  'Write a short abstract of the text.',
  'Summarize the text for a newcomer.',
];

export function generateItems(type: string, text: string, count: number, seed = 0): Item[] {
  const sentences = splitSentences(text);
  if (sentences.length === 0) return []; // nothing to ask about: an empty answer, as a model would give
  const offset = (hash32(text) + seed) % sentences.length;
  const items: Item[] = [];
  for (let i = 0; i < count; i++) {
    const sentence = sentences[(offset + i) % sentences.length];
    const next = sentences[(offset + i + 1) % sentences.length];
    // Past the number of sentences, ask about them in other words rather than repeat a question.
    const round = Math.floor(i / sentences.length) + seed;
    const question = QUESTION_FORMS[(hash32(sentence) + round) % QUESTION_FORMS.length](keyPhrase(sentence));
    switch (type) {
      case 'qa':
        items.push({ question, answer: sentence });
        break;
      case 'cot':
        items.push({
          question,
          reasoning: `The text states: "${stripEndPunctuation(sentence)}".${next !== sentence ? ` It also notes that ${lowerFirst(next)}` : ''} The question asks about ${keyPhrase(sentence)}, which this statement answers directly.`,
          answer: sentence,
        });
        break;
      case 'summary':
        items.push({ instruction: SUMMARY_INSTRUCTIONS[(i + round) % SUMMARY_INSTRUCTIONS.length], summary: summarize(text, 1 + (i % 3), i) });
        break;
      case 'conversation':
        items.push({
          messages: [
            { role: 'user', content: question },
            { role: 'assistant', content: sentence },
            { role: 'user', content: `Can you tell me more about ${keyPhrase(next)}?` },
            { role: 'assistant', content: next },
          ],
        });
        break;
      case 'preference':
        items.push({
          prompt: question,
          chosen: sentence,
          rejected: `I am not sure; the text does not really discuss ${keyPhrase(sentence)}.`,
        });
        break;
    }
  }
  return items;
}

/** The first `count` sentences from `start` on: lead-k extraction. */
function summarize(text: string, count: number, start = 0): string {
  const sentences = splitSentences(text);
  if (sentences.length === 0) return '';
  const from = start % sentences.length;
  return sentences.slice(from, from + count).join(' ') || sentences[0];
}

/** Judge ratings: a hash of each record maps to a table in which 30% fall below 7, the default threshold. */
const RATING_TABLE = [3, 5, 6, 7, 7, 8, 8, 9, 9, 10];

function judge(prompt: string): Item[] {
  const records = findJson(prompt, '[', (value) => Array.isArray(value) && value.length > 0 && value.every((r) => r && typeof r === 'object' && 'id' in r));
  if (!Array.isArray(records)) return [];
  return records.map((record: Item) => {
    const rating = RATING_TABLE[hash32(JSON.stringify(record.record ?? record)) % RATING_TABLE.length];
    return {
      id: String(record.id),
      rating,
      reasoning: rating >= 7 ? 'Accurate, clear and useful for training.' : 'Too vague or only loosely supported by the text.',
    };
  });
}

function embeddedRecord(prompt: string): Item | undefined {
  return findJson(prompt, '{', (value) => Boolean(value && typeof value === 'object' && 'type' in value)) as Item | undefined;
}

/** Grounded when most content words of the record's answer side occur in the source text. */
function groundedness(prompt: string): { grounded: boolean; reason: string } {
  const source = new Set(contentWords(sourceText(prompt)));
  const record = embeddedRecord(prompt);
  if (!record) return { grounded: false, reason: 'No example was given to check.' };
  const answerWords = contentWords(responseSide(record));
  if (answerWords.length === 0) return { grounded: false, reason: 'The example has no answer to check.' };
  const supported = answerWords.filter((word) => source.has(word)).length / answerWords.length;
  return supported >= 0.6
    ? { grounded: true, reason: `${Math.round(supported * 100)}% of the answer's content words appear in the source.` }
    : { grounded: false, reason: `Only ${Math.round(supported * 100)}% of the answer's content words appear in the source.` };
}

function responseSide(record: Item): string {
  if (Array.isArray(record.messages)) {
    return (record.messages as Item[])
      .filter((m) => m.role === 'assistant')
      .map((m) => String(m.content))
      .join(' ');
  }
  return String(record.answer ?? record.summary ?? record.chosen ?? '');
}

/** Rewrites of a record (variants and augmentations): the same fields, transformed by kind. */
function rewriteRecord(kind: string, prompt: string, count: number, seed: number): Item[] {
  const record = embeddedRecord(prompt);
  if (!record) return [];
  const { type: _type, ...fields } = record;
  const variants: Item[] = [];
  for (let i = 0; i < count; i++) variants.push(rewriteFields(kind, fields, i + (seed % 1000)));
  return variants;
}

function rewriteFields(kind: string, fields: Item, index: number): Item {
  const promptKey = ['question', 'prompt', 'instruction'].find((key) => typeof fields[key] === 'string');
  const answerKey = ['answer', 'summary', 'chosen'].find((key) => typeof fields[key] === 'string');
  const out: Item = JSON.parse(JSON.stringify(fields));
  const nth = index > 0 ? ` (variant ${index + 1})` : '';
  const rewritePrompt = (transform: (text: string) => string) => {
    if (promptKey) out[promptKey] = transform(String(fields[promptKey]));
    if (Array.isArray(out.messages)) {
      const firstUser = (out.messages as Item[]).find((m) => m.role === 'user');
      if (firstUser) firstUser.content = transform(String(firstUser.content));
    }
  };
  const body = (text: string) => stripEndPunctuation(lowerFirst(text));
  switch (kind) {
    case 'rephrase':
    case 'paraphrase':
      rewritePrompt((text) => `Could you explain ${body(text)}${nth}?`);
      break;
    case 'new_question': {
      const answer = answerKey ? String(fields[answerKey]) : '';
      rewritePrompt(() => `Which statement does the source make about ${keyPhrase(answer)}${nth}?`);
      break;
    }
    case 'harder':
      rewritePrompt((text) => `${upperFirst(body(text))}? Explain the reasoning and any conditions that apply${nth}.`);
      if (answerKey) out[answerKey] = `${fields[answerKey]} This follows from the conditions the source describes.`;
      break;
    case 'easier':
      rewritePrompt((text) => `In simple terms, ${body(text)}${nth}?`);
      if (answerKey) out[answerKey] = splitSentences(String(fields[answerKey]))[0];
      break;
    case 'format_variation':
      rewritePrompt((text) => `${upperFirst(body(text))}? Answer as a bulleted list${nth}.`);
      if (answerKey)
        out[answerKey] = splitSentences(String(fields[answerKey]))
          .map((s) => `- ${s}`)
          .join('\n');
      break;
    default:
      rewritePrompt((text) => `${upperFirst(body(text))}${nth}?`);
  }
  return out;
}

/**
 * Nemotron-style reward answer: five HelpSteer2 attributes in the content
 * (`helpfulness:3.1,correctness:…`) and, when asked, as logprobs tokens whose logprob is the score.
 */
function answerReward(messages: ChatMessageIn[], withLogprobs: boolean): TaskAnswer {
  const assistant = messageText(messages[messages.length - 1]);
  const user = messages
    .filter((m) => m.role === 'user')
    .map(messageText)
    .join('\n');
  const key = `${user}\n${assistant}`;
  const scale = (seed: number, low: number, high: number) => Math.round((low + unitHash(key, seed) * (high - low)) * 10) / 10;
  const length = words(assistant).length;
  const attributes: [string, number][] = [
    ['helpfulness', scale(1, 1.0, 4.0)],
    ['correctness', scale(2, 1.5, 4.0)],
    ['coherence', scale(3, 2.5, 4.0)],
    ['complexity', scale(4, 0.5, 2.5)],
    ['verbosity', Math.round(Math.min(4, 0.4 + length / 40) * 10) / 10],
  ];
  const content = attributes.map(([name, value]) => `${name}:${value.toFixed(1)}`).join(',');
  return {
    task: 'reward',
    content,
    json: false,
    logprobs: withLogprobs ? attributes.map(([token, logprob]) => ({ token, logprob })) : undefined,
  };
}
