// LLM-as-judge curation: records are rated 1–10 in batches, several per call. Records go
// to the judge under short ids (r1, r2 …), which models copy back reliably, and the ratings are
// mapped back to the real ids. A record the answer leaves out, or rates unusably, is a failure with
// its reason; every record ends either rated or failed.
import { z } from 'zod';
import type { LlmClient } from '../../infra/llm';
import { addTokenCounts, emptyTokenCount, type TokenCount } from '../../infra/llm';
import type { RecordContent } from '../records';
import { askForJson, steadyCall } from './ask-json';
import { renderPrompt, requirePrompt, type PromptTemplates } from './prompts';
import type { LlmCallOptions, RecordFailure } from './types';

export interface RecordToJudge {
  id: string;
  content: RecordContent;
  /** The chunk the record was generated from, so the judge can check accuracy against it. */
  sourceText?: string;
}

export interface Judgement {
  id: string;
  /** 1–10; curation keeps records at or above the threshold (7.0 by default). */
  rating: number;
  reasoning: string;
}

export interface JudgeOptions extends LlmCallOptions {
  /** Records per judge call. */
  batchSize: number;
  prompts: PromptTemplates;
  /** Characters of each record's source text shown to the judge (long chunks are cut). */
  maxSourceChars?: number;
}

export interface JudgeResult {
  ratings: Judgement[];
  failures: RecordFailure[];
  usage: TokenCount;
}

const ratingsAnswer = z.object({
  ratings: z.array(
    z.object({
      id: z.coerce.string(),
      rating: z.coerce.number(),
      reasoning: z.string().default(''),
    }),
  ),
});

const ratingsJsonSchema = {
  type: 'object',
  properties: {
    ratings: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, rating: { type: 'number' }, reasoning: { type: 'string' } },
        required: ['id', 'rating', 'reasoning'],
        additionalProperties: false,
      },
    },
  },
  required: ['ratings'],
  additionalProperties: false,
};

export async function judgeRecords(llm: LlmClient, records: RecordToJudge[], options: JudgeOptions): Promise<JudgeResult> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
    throw new Error(`judgeRecords: batchSize must be a positive integer, got ${options.batchSize}`);
  }
  const ids = new Set<string>();
  for (const record of records) {
    if (ids.has(record.id)) throw new Error(`judgeRecords: record id "${record.id}" appears twice; ids must be unique within a call`);
    ids.add(record.id);
  }
  const template = requirePrompt(options.prompts, 'judge');
  const batches: RecordToJudge[][] = [];
  for (let start = 0; start < records.length; start += options.batchSize) batches.push(records.slice(start, start + options.batchSize));

  // All batches at once: the endpoint limiter, not a batch barrier, decides how many run.
  const results = await Promise.all(batches.map((batch) => judgeBatch(llm, batch, template, options)));
  return {
    ratings: results.flatMap((result) => result.ratings),
    failures: results.flatMap((result) => result.failures),
    usage: results.reduce((sum, result) => addTokenCounts(sum, result.usage), emptyTokenCount()),
  };
}

async function judgeBatch(llm: LlmClient, batch: RecordToJudge[], template: string, options: JudgeOptions): Promise<JudgeResult> {
  const maxSourceChars = options.maxSourceChars ?? 2000;
  const aliasToId = new Map(batch.map((record, index) => [`r${index + 1}`, record.id]));
  const shown = batch.map((record, index) => {
    const entry: Record<string, unknown> = { id: `r${index + 1}`, record: record.content };
    if (record.sourceText) entry.source = truncate(record.sourceText, maxSourceChars);
    return entry;
  });
  const prompt = renderPrompt(template, { records: JSON.stringify(shown, null, 2) }, 'judge');
  const answer = await askForJson(
    llm,
    { prompt, schema: ratingsAnswer, schemaName: 'judge_ratings', jsonSchema: ratingsJsonSchema, callSite: 'judge' },
    steadyCall(options),
  );
  if (!answer.ok) {
    return {
      ratings: [],
      failures: batch.map((record) => ({ id: record.id, raw: answer.raw, reason: `judge answer unusable: ${answer.reason}` })),
      usage: answer.usage,
    };
  }

  const ratings: Judgement[] = [];
  const failures: RecordFailure[] = [];
  const seen = new Map<string, { rating: number; reasoning: string; raw: string }>();
  for (const answered of answer.value.ratings) {
    const id = aliasToId.get(answered.id.trim()) ?? (batch.some((record) => record.id === answered.id) ? answered.id : undefined);
    // The first rating of a record counts; an id the batch does not hold is ignored.
    if (id !== undefined && !seen.has(id)) seen.set(id, { rating: answered.rating, reasoning: answered.reasoning, raw: JSON.stringify(answered) });
  }
  for (const record of batch) {
    const found = seen.get(record.id);
    if (!found) failures.push({ id: record.id, raw: answer.raw, reason: 'the judge did not rate this record' });
    else if (!Number.isFinite(found.rating) || found.rating < 1 || found.rating > 10) {
      failures.push({ id: record.id, raw: found.raw, reason: `the rating ${found.rating} is outside 1–10` });
    } else ratings.push({ id: record.id, rating: found.rating, reasoning: found.reasoning });
  }
  return { ratings, failures, usage: answer.usage };
}

function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)} …`;
}
