// Grounded QA generation: the answer is one of the chunk's own sentences, and the question is assembled from
// an opening, a subject that occurs in that sentence and, for passive openings, a participle from it
// ("When was" "Moo Deng" "born"), so even a tiny model yields records that read as a question with its
// answer. The JSON Schema carries the constraints (sentence numbers as constants, every part of the question
// an enum), and a
// grammar-constrained endpoint (the local provider) cannot write anything else; an endpoint that ignores
// schemas is held to the same rules here, item by item.
import { z } from 'zod';
import type { LlmClient } from '../../infra/llm';
import { emptyTokenCount } from '../../infra/llm';
import type { RecordContent } from '../records';
import { itemsEnvelope, lastItemIsComplete, cutOffNote } from './answer-schemas';
import { askForJson } from './ask-json';
import { renderPrompt, requirePrompt, type PromptTemplates } from './prompts';
import { answerSentences, contentWords, keyTerms, squeezeText } from './source-text';
import { seededShuffle } from '../../infra/common';
import { variationSeed, type GenerationFailure, type GenerationResult, type LlmCallOptions } from './types';

export const GROUNDED_QA_PROMPT = 'qa_grounded_generation';
/** Openings that make a question of any subject on their own: "What happened to Moo Deng?" */
export const OPENINGS = ['What is known about', 'What happened to', 'What is said about'] as const;
/** Openings completed by a participle of the answer: "When was Moo Deng born?" */
export const PASSIVE_OPENINGS = ['When was', 'Where was', 'How was', 'Why was', 'By whom was'] as const;
/** Subjects offered per sentence. */
const MAX_SUBJECTS = 6;
const MAX_PARTICIPLES = 8;

export interface GroundedQaOptions extends LlmCallOptions {
  text: string;
  numItems: number;
  prompts: PromptTemplates;
}

/** What the model writes per item: which sentence answers it, then the parts of the question. */
const groundedItem = z.object({
  sentence: z.number().int(),
  ask: z.enum([...OPENINGS, ...PASSIVE_OPENINGS]),
  subject: z.string(),
  tail: z.string(),
});

/** A sentence an answer may be, with what a question about it may name. */
export interface AnswerChoice {
  sentence: string;
  /** The chunk's capitalised key terms in the sentence ("Moo Deng"); else its longer words, as "the zoo". */
  subjects: string[];
  /** Its participles ("born", "installed"), for the passive openings. */
  participles: string[];
}

/** Each usable sentence of the chunk with the subjects and participles drawn from it. */
export function answerChoices(text: string): AnswerChoice[] {
  const sentences = answerSentences(text);
  const names = keyTerms(text, sentences).filter((term) => /^\p{Lu}/u.test(term));
  return sentences
    .map((sentence) => {
      // Case-sensitive: "Animals" (of "Cruelty to Animals") is no name of a sentence about "2,000 animals".
      const flat = sentence.replace(/\s+/g, ' ');
      const named = names.filter((name) => flat.includes(name));
      const subjects = (
        named.length
          ? named
          : contentWords(sentence)
              .filter((word) => word.length >= 5 && !/\d/.test(word))
              .map((word) => `the ${word}`)
      ).slice(0, MAX_SUBJECTS);
      const subjectWords = new Set(subjects.flatMap((subject) => contentWords(subject)));
      const participles = [...new Set(contentWords(sentence).filter((word) => /^[a-z]{2,}(?:ed|en|wn|rn)$/.test(word) && !subjectWords.has(word)))].slice(
        0,
        MAX_PARTICIPLES,
      );
      return { sentence, subjects, participles };
    })
    .filter((choice) => choice.subjects.length > 0);
}

/**
 * The order sentences are offered in: shuffled by the call's variation, so later rounds over the same chunk
 * start from other sentences (a small model favours the first options).
 */
function offerOrder(count: number, variation: string | number | undefined): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  const seed = variationSeed(variation) ?? 0;
  return seed === 0 ? order : seededShuffle(order, seed);
}

/**
 * The schema sent to the endpoint: a fixed number of items, item k choosing among its own share of the
 * sentences (so no two items of one answer share a sentence), each sentence with the subjects and
 * participles drawn from it (a `oneOf` per sentence and opening kind, so every pairing holds by
 * construction). Every field is a constant or an enum: the answer closes in a few dozen tokens.
 */
export function groundedQaJsonSchema(choices: AnswerChoice[], numItems: number, variation?: string | number): Record<string, unknown> {
  const count = Math.min(numItems, choices.length);
  const order = offerOrder(choices.length, variation);
  const item = (index: number, openings: readonly string[], tails: string[]) => ({
    type: 'object',
    properties: {
      sentence: { const: index + 1 },
      ask: { type: 'string', enum: [...openings] },
      subject: { type: 'string', enum: choices[index].subjects },
      tail: tails.length === 1 ? { const: tails[0] } : { type: 'string', enum: tails },
    },
    required: ['sentence', 'ask', 'subject', 'tail'],
    additionalProperties: false,
  });
  const options = (index: number) => [
    item(index, OPENINGS, ['']),
    ...(choices[index].participles.length ? [item(index, PASSIVE_OPENINGS, choices[index].participles)] : []),
  ];
  const share = (k: number) => order.filter((_, position) => position % count === k).flatMap(options);
  return {
    type: 'object',
    properties: {
      items: { type: 'array', prefixItems: Array.from({ length: count }, (_, k) => ({ oneOf: share(k) })), minItems: count, maxItems: count },
    },
    required: ['items'],
    additionalProperties: false,
  };
}

/** The sentences as the prompt lists them, numbered from 1 as the schema's `sentence` constants are. */
export function numberedSentences(choices: AnswerChoice[]): string {
  return choices.map((choice, index) => `${index + 1}. ${choice.sentence}`).join('\n');
}

/** "When was" "Moo Deng" "born" → "When was Moo Deng born?" */
export function assembleQuestion(parts: { ask: string; subject: string; tail: string }): string {
  return `${[parts.ask, parts.subject, parts.tail.trim()].filter(Boolean).join(' ')}?`;
}

/**
 * Up to `numItems` QA records whose answers are distinct sentences of `text`. A chunk without usable
 * sentences (a table, a list of references) yields nothing, with the reason as a failure.
 */
export async function generateGroundedQa(llm: LlmClient, options: GroundedQaOptions): Promise<GenerationResult<RecordContent>> {
  const choices = answerChoices(options.text);
  if (choices.length === 0) {
    const reason = 'grounded generation: the chunk has no sentence that can stand as an answer';
    return { items: [], failures: [{ raw: options.text.slice(0, 200), reason }], usage: emptyTokenCount() };
  }
  const prompt = renderPrompt(
    requirePrompt(options.prompts, GROUNDED_QA_PROMPT),
    { sentences: numberedSentences(choices), num_pairs: Math.min(options.numItems, choices.length) },
    GROUNDED_QA_PROMPT,
  );
  const jsonSchema = groundedQaJsonSchema(choices, options.numItems, options.variation);
  const answer = await askForJson(
    llm,
    { prompt, schema: itemsEnvelope, schemaName: 'qa_grounded_items', jsonSchema, callSite: 'generate.qa_grounded' },
    options,
  );
  if (!answer.ok) return { items: [], failures: [{ raw: answer.raw, reason: answer.reason }], usage: answer.usage };

  const usedAnswers = new Map<string, number>();
  const items: RecordContent[] = [];
  const failures: GenerationFailure[] = [];
  const answered = answer.value.items;
  if (answered.length === 0) failures.push({ raw: answer.raw, reason: 'the answer held no items' });
  answered.forEach((raw, index) => {
    const fail = (reason: string) => failures.push({ raw: JSON.stringify(raw), reason: `item ${index}: ${reason}${cutOffNote(answer.finishReason)}` });
    if (index === answered.length - 1 && answer.finishReason === 'length' && !lastItemIsComplete(answer.raw, raw)) return fail('incomplete');
    const parsed = groundedItem.safeParse(raw);
    if (!parsed.success) return fail(`not a grounded QA item: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'item'}: ${i.message}`).join('; ')}`);
    const choice = choices[parsed.data.sentence - 1];
    if (!choice) return fail(`sentence ${parsed.data.sentence} is not one of the ${choices.length} listed`);
    if (!choice.subjects.includes(parsed.data.subject)) return fail(`the subject "${parsed.data.subject}" is not a term of the answer`);
    const passive = (PASSIVE_OPENINGS as readonly string[]).includes(parsed.data.ask);
    if (passive ? !choice.participles.includes(parsed.data.tail) : parsed.data.tail !== '') {
      return fail(`"${parsed.data.ask} … ${parsed.data.tail}" is not a question this schema allows`);
    }
    const earlier = usedAnswers.get(squeezeText(choice.sentence));
    if (earlier !== undefined) return fail(`the same answer as item ${earlier}`);
    usedAnswers.set(squeezeText(choice.sentence), index);
    items.push({ type: 'qa', question: assembleQuestion(parsed.data), answer: choice.sentence });
  });
  return { items, failures, usage: answer.usage };
}
