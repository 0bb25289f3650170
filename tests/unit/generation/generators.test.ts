// Generators and judges against the project's test LLM server over real HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  augmentRecord,
  checkGroundedness,
  generateFromText,
  generateVariants,
  judgeRecords,
  rewardScoreRecords,
  summarizeText,
} from '../../../src/domain/generation';
import { loadPromptTemplates } from '../../../src/domain/generation/prompts';
import { LlmClient } from '../../../src/infra/llm/client';
import { clearEndpointLimiters } from '../../../src/infra/llm/endpoint-limiter';
import { DATASET_TYPES, recordContentSchema, recordText, type RecordContent } from '../../../src/domain/records/types';
import { noFaults } from '../../../testkit/llm-server/options';
import { startTestLlmServer, type TestLlmServer } from '../../../testkit/llm-server/server';
import { SAMPLE_TEXT, testEndpointConfig } from '../../../testkit/llm-server/test-endpoint';

let server: TestLlmServer;
let llm: LlmClient;
const prompts = loadPromptTemplates();

beforeAll(async () => {
  server = await startTestLlmServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.setOptions({ faults: noFaults(), forcedFaults: [], duplicates: { exact: 0, near: 0, semantic: 0 } });
  server.resetStats();
  clearEndpointLimiters();
  llm = new LlmClient(testEndpointConfig(server.url));
});

describe('generateFromText', () => {
  it.each(DATASET_TYPES)('produces valid %s records from a text', async (type) => {
    const result = await generateFromText(llm, { type, text: SAMPLE_TEXT, numItems: 3, prompts });
    expect(result.failures).toEqual([]);
    expect(result.items).toHaveLength(3);
    for (const item of result.items) {
      expect(recordContentSchema.parse(item).type).toBe(type);
      // Every record carries sentences of the source text: the test server answers from the prompt.
      const sentences = SAMPLE_TEXT.split(/(?<=\.) /);
      expect(sentences.some((sentence) => recordText(item).includes(sentence))).toBe(true);
    }
    if (type === 'summary') expect(result.items[0]).toMatchObject({ input: SAMPLE_TEXT });
    expect(result.usage.calls).toBe(1);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
  });

  it('varies a repeated generation from the same text when given another variation key', async () => {
    const base = { type: 'qa' as const, text: SAMPLE_TEXT, numItems: 3, prompts };
    const first = await generateFromText(llm, { ...base, variation: 'wf/r2/b0/0' });
    const again = await generateFromText(llm, { ...base, variation: 'wf/r2/b0/0' });
    const other = await generateFromText(llm, { ...base, variation: 'wf/r3/b0/0' });
    expect(again.items).toEqual(first.items);
    expect(other.items).not.toEqual(first.items);
  });

  it('summarizes first when the template uses {summary} and none is given', async () => {
    const withSummary = { ...prompts, qa_generation: `About: {summary}\nCreate {num_pairs} pairs.\n---\n{text}\n---` };
    const result = await generateFromText(llm, { type: 'qa', text: SAMPLE_TEXT, numItems: 2, prompts: withSummary });
    expect(result.items).toHaveLength(2);
    expect(result.usage.calls).toBe(2);
    expect(server.stats().byTask).toEqual({ document_summary: 1, qa_items: 1 });

    const given = await generateFromText(llm, { type: 'qa', text: SAMPLE_TEXT, numItems: 2, prompts: withSummary, summary: 'Rivers.' });
    expect(given.usage.calls).toBe(1);
  });

  it('reports the items an answer got wrong, with their raw JSON, and keeps the rest', async () => {
    // A truncated answer loses its tail: repaired JSON keeps the complete items, the cut one fails.
    server.setOptions({ forcedFaults: ['truncated_json'] });
    const result = await generateFromText(llm, { type: 'cot', text: SAMPLE_TEXT, numItems: 5, prompts });
    expect(result.items).toHaveLength(3);
    for (const item of result.items) expect(recordContentSchema.safeParse(item).success).toBe(true);
    expect(result.failures).toEqual([{ raw: expect.any(String), reason: expect.stringMatching(/^item 3: incomplete .*cut off at the token limit/) }]);
    expect(() => JSON.parse(result.failures[0].raw)).not.toThrow();
  });

  it('does not take a string cut mid-word by the token limit for a complete item', async () => {
    // max_tokens cuts the answer inside the third item; jsonrepair would close its strings.
    const full = await generateFromText(llm, { type: 'qa', text: SAMPLE_TEXT, numItems: 3, prompts });
    const rawLength = JSON.stringify({ items: full.items.map(({ type: _type, ...fields }) => fields) }).length;
    const cut = await generateFromText(llm, { type: 'qa', text: SAMPLE_TEXT, numItems: 3, prompts, maxTokens: Math.floor((rawLength - 12) / 4) });
    expect(cut.items).toEqual(full.items.slice(0, 2));
    expect(cut.failures).toEqual([{ raw: expect.any(String), reason: expect.stringMatching(/^item 2: incomplete/) }]);
  });

  it('turns an answer that stays unusable into one failure with the raw text', async () => {
    server.setOptions({ forcedFaults: ['not_json', 'not_json'] });
    const result = await generateFromText(llm, { type: 'qa', text: SAMPLE_TEXT, numItems: 3, prompts });
    expect(result.items).toEqual([]);
    expect(result.failures).toEqual([{ raw: expect.stringMatching(/can't provide/), reason: expect.stringMatching(/re-ask/) }]);
  });

  it('reports an empty answer instead of dropping it silently', async () => {
    server.setOptions({ forcedFaults: ['partial_answer'] });
    const result = await generateFromText(llm, { type: 'qa', text: SAMPLE_TEXT, numItems: 1, prompts });
    expect(result.items).toEqual([]);
    expect(result.failures).toEqual([{ raw: '{"items":[]}', reason: 'the answer held no items' }]);
  });

  it('rejects a bad request with the fix', async () => {
    await expect(generateFromText(llm, { type: 'qa', text: SAMPLE_TEXT, numItems: 0, prompts })).rejects.toThrow(/numItems must be a positive integer/);
    await expect(generateFromText(llm, { type: 'qa', text: '  ', numItems: 2, prompts })).rejects.toThrow(/source text is empty/);
  });
});

describe('summarizeText', () => {
  it('returns a summary drawn from the text', async () => {
    const result = await summarizeText(llm, SAMPLE_TEXT, prompts);
    expect(result.ok).toBe(true);
    if (result.ok) expect(SAMPLE_TEXT).toContain(result.summary.split('. ')[0]);
  });
});

const seed: RecordContent = {
  type: 'qa',
  question: 'Where does the Rhine rise?',
  answer: 'The Rhine rises in the Swiss Alps and flows into the North Sea.',
};

describe('generateVariants and augmentRecord', () => {
  it('makes one valid variant per kind, different from the seed', async () => {
    const result = await generateVariants(llm, { seed, kinds: ['rephrase', 'new_question', 'harder', 'easier'], prompts });
    expect(result.failures).toEqual([]);
    expect(result.items.map((item) => item.kind)).toEqual(['rephrase', 'new_question', 'harder', 'easier']);
    for (const { content } of result.items) {
      expect(content.type).toBe('qa');
      expect(recordText(content)).not.toBe(recordText(seed));
    }
    expect(result.usage.calls).toBe(4);
  });

  it('augments a record, keeping a summary record’s input', async () => {
    const summary: RecordContent = {
      type: 'summary',
      instruction: 'Summarize the text.',
      input: SAMPLE_TEXT,
      summary: 'The Rhine is a major river. It carries barges.',
    };
    const result = await augmentRecord(llm, summary, 'format_variation', { prompts });
    expect(result.items).toHaveLength(1);
    expect(result.items[0]).toMatchObject({ type: 'summary', input: SAMPLE_TEXT, summary: expect.stringMatching(/^- /) });
  });
});

describe('judgeRecords', () => {
  const records = Array.from({ length: 12 }, (_, i) => ({
    id: `wf-1/r1/b0/${i}`,
    content: { type: 'qa', question: `Question ${i} about the Rhine?`, answer: `Answer ${i}: the Rhine flows north.` } as RecordContent,
    sourceText: SAMPLE_TEXT,
  }));

  it('rates every record 1–10 in batches and maps the ratings back to the right ids', async () => {
    const byFive = await judgeRecords(llm, records, { batchSize: 5, prompts });
    const byTwo = await judgeRecords(llm, [...records].reverse(), { batchSize: 2, prompts });
    expect(byFive.failures).toEqual([]);
    expect(byFive.ratings).toHaveLength(12);
    expect(server.stats().byTask.judge_ratings).toBe(3 + 6);
    // The server's rating depends only on the record, so a mix-up of ids would show as a mismatch.
    const ratingsTwo = new Map(byTwo.ratings.map((item) => [item.id, item.rating]));
    for (const item of byFive.ratings) {
      expect(item.rating).toBeGreaterThanOrEqual(1);
      expect(item.rating).toBeLessThanOrEqual(10);
      expect(item.reasoning.length).toBeGreaterThan(0);
      expect(ratingsTwo.get(item.id)).toBe(item.rating);
    }
    expect(byFive.ratings.some((item) => item.rating < 7)).toBe(true);
    expect(byFive.ratings.some((item) => item.rating >= 7)).toBe(true);
  });

  it('reports a record the judge left out as a failure with the reason', async () => {
    server.setOptions({ forcedFaults: ['partial_answer'] });
    const result = await judgeRecords(llm, records.slice(0, 4), { batchSize: 4, prompts });
    expect(result.ratings.map((item) => item.id)).toEqual(records.slice(0, 3).map((record) => record.id));
    expect(result.failures).toEqual([{ id: records[3].id, raw: expect.any(String), reason: 'the judge did not rate this record' }]);
  });

  it('refuses duplicate ids', async () => {
    await expect(judgeRecords(llm, [records[0], records[0]], { batchSize: 2, prompts })).rejects.toThrow(/appears twice/);
  });
});

describe('rewardScoreRecords', () => {
  const records = [
    { id: 'a', content: seed },
    {
      id: 'b',
      content: {
        type: 'conversation',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi?' },
          { role: 'assistant', content: 'Hello.' },
        ],
      } as RecordContent,
    },
    { id: 'c', content: { type: 'preference', prompt: 'Where?', chosen: 'In the Alps.', rejected: 'Nowhere.' } as RecordContent },
  ];

  it('reads the same attributes from content and from logprobs and combines them', async () => {
    const fromContent = await rewardScoreRecords(llm, records, { parse: 'content' });
    const fromLogprobs = await rewardScoreRecords(llm, records, { parse: 'logprobs' });
    expect(fromContent.failures).toEqual([]);
    expect(fromContent.scores.map((item) => item.id)).toEqual(['a', 'b', 'c']);
    expect(fromLogprobs.scores).toEqual(fromContent.scores);
    for (const item of fromContent.scores) {
      expect(Object.keys(item.attributes).sort()).toEqual(['coherence', 'complexity', 'correctness', 'helpfulness', 'verbosity']);
      const a = item.attributes;
      expect(item.score).toBeCloseTo(0.3 * a.helpfulness + 0.74 * a.correctness + 0.46 * a.coherence + 0.47 * a.complexity - 0.33 * a.verbosity, 10);
    }
    expect(server.stats().byTask.reward).toBe(6);
  });

  it('fails a record whose scores lack a weighted attribute', async () => {
    const result = await rewardScoreRecords(llm, records.slice(0, 1), { parse: 'content', weights: { harmlessness: 1 } });
    expect(result.scores).toEqual([]);
    expect(result.failures[0]).toMatchObject({ id: 'a', raw: expect.stringMatching(/^helpfulness:/), reason: expect.stringMatching(/harmlessness/) });
  });
});

describe('checkGroundedness', () => {
  it('says a record drawn from the source is grounded and an invented one is not', async () => {
    const grounded = await checkGroundedness(llm, { content: seed, sourceText: SAMPLE_TEXT }, { prompts });
    expect(grounded).toMatchObject({ grounded: true, checked: true });
    const invented: RecordContent = { type: 'qa', question: 'Who wrote Hamlet?', answer: 'William Shakespeare wrote Hamlet around 1600.' };
    const verdict = await checkGroundedness(llm, { content: invented, sourceText: SAMPLE_TEXT }, { prompts });
    expect(verdict).toMatchObject({ grounded: false, checked: true, reason: expect.stringMatching(/content words/) });
  });
});
