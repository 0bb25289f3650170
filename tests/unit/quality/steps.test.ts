import { describe, expect, it } from 'vitest';
import { buildFilterPipeline, runFilterPipeline } from '../../../src/domain/quality';
import type { DatasetRecord } from '../../../src/domain/records/types';

const qa = (id: string, question: string, answer: string, extra: Partial<DatasetRecord> = {}): DatasetRecord => ({
  id,
  content: { type: 'qa', question, answer },
  ...extra,
});

async function run(config: unknown[], records: DatasetRecord[], deps = {}) {
  return runFilterPipeline(records, buildFilterPipeline(config, deps));
}
const reasonsOf = (outcome: { rejected: { id: string; reason: string }[] }) => Object.fromEntries(outcome.rejected.map((r) => [r.id, r.reason]));

describe('filter steps', () => {
  it('empty: rejects a blank field, naming it, and keeps complete records', async () => {
    const out = await run(
      [{ step: 'empty' }],
      [
        qa('ok', 'Q?', 'A.'),
        qa('blank', 'Q?', '   '),
        {
          id: 'turn',
          content: {
            type: 'conversation',
            messages: [
              { role: 'user', content: 'Hi' },
              { role: 'assistant', content: '' },
            ],
          },
        },
      ],
    );
    expect(out.kept.map((r) => r.id)).toEqual(['ok']);
    expect(reasonsOf(out)).toEqual({ blank: 'empty: answer is empty', turn: 'empty: messages[1].content is empty' });
  });

  it('length: checks prompt and response separately, in characters and tokens', async () => {
    const config = [{ step: 'length', minChars: 5, response: { minChars: 10, maxTokens: 8 } }];
    const out = await run(config, [
      qa('ok', 'What is it?', 'It is a small thing.'),
      qa('shortq', 'Why', 'Because it is so.'),
      qa('shorta', 'What is it?', 'A cat.'),
      qa('longa', 'What is it?', 'It is a very long answer that goes on and on for many words.'),
    ]);
    expect(out.kept.map((r) => r.id)).toEqual(['ok']);
    expect(reasonsOf(out)).toEqual({
      shortq: 'too_short: prompt 3 < 5 chars',
      shorta: 'too_short: response 6 < 10 chars',
      longa: expect.stringMatching(/^too_long: response \d+ > 8 tokens$/),
    });
    expect(out.perStep[0]).toEqual({ step: 'length', removed: 3, modified: 0, reasons: { too_short: 2, too_long: 1 } });
  });

  it('language: keeps listed languages, rejects others, and does not judge short records', async () => {
    const out = await run(
      [{ step: 'language', keep: ['en'] }],
      [
        qa('en', 'What is the capital city of France?', 'The capital city of France is Paris.'),
        qa('fr', 'Quelle est la capitale de la France ?', 'La capitale de la France est Paris, bien sûr.'),
        qa('short', 'Hello', 'Yes'),
        // tinyld calls this sentence Czech on its own; judged as a whole record it is English enough.
        qa('nhl', 'Produce a list of the top 5 NHL players in 2021.', 'The best players that season were led by Connor McDavid, who scored the most points.'),
        qa('answer-es', 'Explain recursion.', 'La recursión es cuando una función se llama a sí misma para resolver un problema más pequeño.'),
      ],
    );
    expect(out.kept.map((r) => r.id)).toEqual(['en', 'short', 'nhl']);
    expect(reasonsOf(out)).toEqual({
      fr: 'wrong_language: record is fr (expected en)',
      'answer-es': 'wrong_language: record is es (expected en)',
    });
  });

  it('pii: redacts with placeholders by default, or removes the record', async () => {
    const records = [qa('pii', 'How do I reach you?', 'Mail jane.doe@example.com or call (555) 123-4567.'), qa('clean', 'Q?', 'No personal data.')];
    const redacted = await run([{ step: 'pii' }], records);
    expect(redacted.kept).toHaveLength(2);
    expect(redacted.kept[0].content).toEqual({ type: 'qa', question: 'How do I reach you?', answer: 'Mail [EMAIL] or call [PHONE].' });
    expect(redacted.modified).toEqual([{ id: 'pii', step: 'pii', change: 'redacted email ×1, phone ×1' }]);
    expect(records[0].content).toMatchObject({ answer: expect.stringContaining('jane.doe') });

    const removed = await run([{ step: 'pii', action: 'remove', kinds: ['email'] }], records);
    expect(removed.kept.map((r) => r.id)).toEqual(['clean']);
    expect(reasonsOf(removed)).toEqual({ pii: 'pii: email ×1' });
  });

  it('toxicity: rejects at the threshold with the matched terms; can use an injected classifier', async () => {
    const records = [qa('nice', 'How do I sort a list?', 'Use sorted(list).'), qa('rude', 'How do I sort a list?', 'Read the docs, you idiot.')];
    const lexicon = await run([{ step: 'toxicity' }], records);
    expect(lexicon.kept.map((r) => r.id)).toEqual(['nice']);
    expect(reasonsOf(lexicon).rude).toMatch(/^toxic: score 0\.\d+ ≥ 0\.5 \(you … idiot\)$/);

    const classify = async (texts: string[]) => texts.map((t) => (t.includes('sorted') ? 0.9 : 0.1));
    const byModel = await run([{ step: 'toxicity', method: 'classifier', threshold: 0.8 }], records, { classify });
    expect(byModel.kept.map((r) => r.id)).toEqual(['rude']);
    expect(reasonsOf(byModel)).toEqual({ nice: 'toxic: classifier 0.90 ≥ 0.8' });
    expect(() => buildFilterPipeline([{ step: 'toxicity', method: 'both' }])).toThrow(/needs a toxicity classifier.*pass \{ classify \}/);
  });

  it('html_clean: strips markup as a modification and rejects only records left empty', async () => {
    const records = [
      qa('html', '<p>What is <b>HTML</b>?</p>', 'A markup&nbsp;language &amp; more.<script>x()</script>'),
      qa('plain', 'What is List<String> in Java?', 'A generic list of strings.'),
      qa('only-markup', 'Q?', '<div><br/></div>'),
    ];
    const out = await run([{ step: 'html_clean' }], records);
    expect(out.kept.map((r) => r.id)).toEqual(['html', 'plain']);
    expect(out.kept[0].content).toEqual({ type: 'qa', question: 'What is HTML?', answer: 'A markup language & more.' });
    // Text without markup (generics are not tags) passes through untouched, as the same object.
    expect(out.kept[1]).toBe(records[1]);
    expect(out.modified).toEqual([{ id: 'html', step: 'html_clean', change: 'removed 6 tag(s), decoded 2 entities' }]);
    expect(reasonsOf(out)).toEqual({ 'only-markup': 'empty_after_html_clean: answer had only markup' });
  });

  it('score_threshold: keeps scores at or above the threshold; unscored records are rejected unless allowed', async () => {
    const records = [qa('high', 'Q?', 'A.', { score: 8 }), qa('low', 'Q?', 'A.', { score: 5 }), qa('none', 'Q?', 'A.')];
    const strict = await run([{ step: 'score_threshold', threshold: 7 }], records);
    expect(strict.kept.map((r) => r.id)).toEqual(['high']);
    expect(reasonsOf(strict)).toEqual({ low: 'below_threshold: score 5 < 7', none: 'unscored: record has no score' });
    const lenient = await run([{ step: 'score_threshold', threshold: 7, allowUnscored: true }], records);
    expect(lenient.kept.map((r) => r.id)).toEqual(['high', 'none']);
  });

  it('groundedness: asks the injected judge and reports its reason; errors follow onError', async () => {
    const records = [qa('supported', 'Q?', 'From the text.'), qa('invented', 'Q?', 'Made up.'), qa('broken', 'Q?', 'Boom.')];
    const judge = async (record: DatasetRecord) => {
      if (record.id === 'broken') throw new Error('endpoint down');
      return record.id === 'supported' ? { grounded: true, reason: '' } : { grounded: false, reason: 'the source never says this' };
    };
    const out = await run([{ step: 'groundedness', onError: 'reject' }], records, { judge });
    expect(out.kept.map((r) => r.id)).toEqual(['supported']);
    expect(reasonsOf(out)).toEqual({ invented: 'ungrounded: the source never says this', broken: 'judge_error: endpoint down' });
    await expect(run([{ step: 'groundedness' }], records, { judge })).rejects.toThrow(/endpoint down/);
    expect(() => buildFilterPipeline([{ step: 'groundedness' }])).toThrow(/needs a groundedness judge/);
  });
});

describe('buildFilterPipeline / runFilterPipeline', () => {
  it('validates config and names the bad step and field', () => {
    expect(() => buildFilterPipeline([{ step: 'empty' }, { step: 'length', minChar: 3 }])).toThrow(/step #2 \("length"\).*minChar/);
    expect(() => buildFilterPipeline([{ step: 'profanity' }])).toThrow(/types: empty, length/);
    expect(() => buildFilterPipeline([{ step: 'language', keep: ['English'] }])).toThrow(/ISO 639/);
  });

  it('runs steps in order on the survivors and accounts for every record', async () => {
    const records = [qa('a', '<b>Q?</b>', 'Answer one.'), qa('b', 'Q?', ''), qa('c', 'Q?', 'x')];
    const out = await run([{ step: 'html_clean' }, { step: 'empty' }, { step: 'length', name: 'min_answer', response: { minChars: 3 } }], records);
    expect(out.kept.map((r) => r.id)).toEqual(['a']);
    expect(out.kept.length + out.rejected.length).toBe(records.length);
    expect(out.perStep.map((s) => [s.step, s.removed, s.modified])).toEqual([
      ['html_clean', 0, 1],
      ['empty', 1, 0],
      ['min_answer', 1, 0],
    ]);
  });
});
