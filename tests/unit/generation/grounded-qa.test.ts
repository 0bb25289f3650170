// Grounded QA without a model: which sentences may be answers, what each may be asked about, the schema a
// grammar-constrained endpoint receives (and that the local provider can turn into a grammar), and the cheap
// source_match filter step that holds records to their source.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/infra/config/load';
import { answerChoices, assembleQuestion, groundedQaJsonSchema } from '../../../src/domain/generation/grounded-qa';
import { answerSentences, appearsVerbatim, keyTerms, sharedTerms } from '../../../src/domain/generation/source-text';
import { toGrammarSchema } from '../../../src/infra/local-llm/json-schema-grammar';
import { buildFilterPipeline, runFilterPipeline } from '../../../src/domain/quality/pipeline';
import type { DatasetRecord } from '../../../src/domain/records/types';

const SAMPLE = readFileSync(path.join(PROJECT_ROOT, 'samples', 'moo_deng_wikipedia.md'), 'utf8');

describe('source text', () => {
  it('offers whole sentences of the source, never references, headings or table cells', () => {
    const sentences = answerSentences(SAMPLE);
    expect(sentences.length).toBeGreaterThan(10);
    for (const sentence of sentences) {
      expect(appearsVerbatim(sentence, SAMPLE), sentence).toBe(true);
      expect(sentence).toMatch(/[.!?]["')]?$/);
      expect(sentence).not.toMatch(/https?:|Retrieved|Archived|^#|\[\d+\]/);
    }
    expect(sentences).toContain('Moo Deng was born on 10 July 2024 to parents Tony and Jonah.');
  });

  it('finds the names a text is about', () => {
    const terms = keyTerms(SAMPLE);
    expect(terms).toEqual(expect.arrayContaining(['Moo Deng', 'Khao Kheow Open Zoo']));
  });

  it('compares verbatim text regardless of case and spacing, and finds shared terms', () => {
    expect(appearsVerbatim('moo deng was born on 10 July 2024', 'Moo  Deng was\nborn on 10 July 2024 to parents')).toBe(true);
    expect(appearsVerbatim('Moo Deng was born in 2023', SAMPLE)).toBe(false);
    expect(sharedTerms('When was Moo Deng born?', SAMPLE)).toEqual(['moo', 'deng', 'born']);
    expect(sharedTerms('What is it about?', SAMPLE)).toEqual([]);
  });
});

describe('grounded QA schema', () => {
  const choices = answerChoices(SAMPLE.slice(0, 1200));

  it('pairs each sentence with subjects and participles drawn from it', () => {
    expect(choices.length).toBeGreaterThan(3);
    for (const choice of choices) {
      for (const subject of choice.subjects) expect(choice.sentence.toLowerCase()).toContain(subject.replace(/^the /, '').toLowerCase());
      for (const participle of choice.participles) expect(choice.sentence.toLowerCase()).toContain(participle);
    }
    expect(choices.find((c) => c.sentence.startsWith('Moo Deng was born'))).toMatchObject({
      subjects: expect.arrayContaining(['Moo Deng']),
      participles: ['born'],
    });
  });

  it('gives every item its own share of the sentences, and varies the shares with the variation', () => {
    const schema = groundedQaJsonSchema(choices, 2) as {
      properties: { items: { prefixItems: { oneOf: { properties: { sentence: { const: number } } }[] }[] } };
    };
    const shares = schema.properties.items.prefixItems.map((item) => new Set(item.oneOf.map((option) => option.properties.sentence.const)));
    expect(shares).toHaveLength(2);
    expect([...shares[0]].filter((n) => shares[1].has(n))).toEqual([]);
    expect(shares[0].size + shares[1].size).toBe(choices.length);
    const varied = groundedQaJsonSchema(choices, 2, 'batch-2/0') as typeof schema;
    const variedFirst = new Set(varied.properties.items.prefixItems[0].oneOf.map((option) => option.properties.sentence.const));
    expect([...variedFirst]).not.toEqual([...shares[0]]);
  });

  it('is a schema the local provider turns into a grammar, not the generic JSON fallback', () => {
    expect(toGrammarSchema(groundedQaJsonSchema(choices, 2))).toMatchObject({ ok: true });
  });

  it('assembles a question that ends with a question mark', () => {
    expect(assembleQuestion({ ask: 'When was', subject: 'Moo Deng', tail: 'born' })).toBe('When was Moo Deng born?');
    expect(assembleQuestion({ ask: 'What happened to', subject: 'Moo Deng', tail: '' })).toBe('What happened to Moo Deng?');
  });
});

describe('the source_match filter step', () => {
  const chunk = SAMPLE.slice(0, 1200);
  const qa = (id: string, question: string, answer: string): DatasetRecord => ({ id, content: { type: 'qa', question, answer } });
  const records = [
    qa('kept', 'When was Moo Deng born?', 'Moo Deng was born on 10 July 2024 to parents Tony and Jonah.'),
    qa('made-up', 'When was Moo Deng born?', 'Moo Deng was born in Bangkok in 2023.'),
    qa('off-source', 'What is it?', 'Moo Deng was born on 10 July 2024 to parents Tony and Jonah.'),
    qa('no-source', 'What is it?', 'Something else entirely.'),
  ];

  it('drops answers not in the source and questions about nothing in it, with the reason; keeps records without a source', async () => {
    const steps = buildFilterPipeline([{ step: 'source_match' }], { sourceText: (record) => (record.id === 'no-source' ? undefined : chunk) });
    const outcome = await runFilterPipeline(records, steps);
    expect(outcome.kept.map((r) => r.id)).toEqual(['kept', 'no-source']);
    expect(outcome.rejected).toEqual([
      expect.objectContaining({ id: 'made-up', step: 'source_match', reason: expect.stringMatching(/^answer_not_in_source: /) }),
      expect.objectContaining({ id: 'off-source', step: 'source_match', reason: expect.stringMatching(/^question_off_source: /) }),
    ]);
  });

  it('says what it needs when built without source texts', () => {
    expect(() => buildFilterPipeline([{ step: 'source_match' }])).toThrow(/needs the records' source texts/);
  });
});
