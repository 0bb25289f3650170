import { describe, expect, it } from 'vitest';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { DatasetFormatError, htmlToText, importDataset } from '../../../src/domain/formats/index';
import { fixtureInput, fixtureJson, textInput } from './fixture-files';

interface AlpacaFixtureRow {
  instruction: string;
  input: string;
  output: string;
}
interface SharegptFixtureRow {
  id: string;
  conversations: { from: string; value: string }[];
}
interface StackexchangeFixtureRow {
  question_id: number;
  tags: string[];
  score: number;
  license: string;
  link: string;
  question_title: string;
  question_body: string;
  answers: { answer_id: number; score: number; body: string }[];
}

describe('importDataset on real datasets', () => {
  it('reads the 200 Alpaca rows as qa, keeping instruction and input apart in metadata', async () => {
    const source = fixtureJson<AlpacaFixtureRow[]>('alpaca_en_demo_200.json');
    const result = await importDataset(fixtureInput('alpaca_en_demo_200.json'));
    expect(result.shape).toBe('alpaca');
    expect(result.records).toHaveLength(200);
    expect(result.problems).toEqual([]);
    const withInput = source.findIndex((row) => row.input !== '');
    const record = result.records[withInput];
    expect(record.content).toEqual({
      type: 'qa',
      question: `${source[withInput].instruction}\n\n${source[withInput].input}`,
      answer: source[withInput].output,
    });
    expect(record.metadata.alpaca).toEqual({ instruction: source[withInput].instruction, input: source[withInput].input });
    const withoutInput = source.findIndex((row) => row.input === '');
    expect(result.records[withoutInput].content).toMatchObject({ question: source[withoutInput].instruction });
  });

  it('reads the 500 ShareGPT conversations with roles mapped and ids kept', async () => {
    const source = fixtureJson<SharegptFixtureRow[]>('sharegpt_dummy_conversation.json');
    const result = await importDataset(fixtureInput('sharegpt_dummy_conversation.json'));
    expect(result.shape).toBe('sharegpt');
    expect(result.records).toHaveLength(500);
    const first = result.records[0];
    expect(first.metadata.sourceId).toBe(source[0].id);
    expect(first.content.type).toBe('conversation');
    if (first.content.type !== 'conversation') throw new Error('unreachable');
    expect(first.content.messages.map((m) => m.role)).toEqual(source[0].conversations.map((t) => (t.from === 'human' ? 'user' : 'assistant')));
    expect(first.content.messages.map((m) => m.content)).toEqual(source[0].conversations.map((t) => t.value));
  });

  it('reads Synthetic Data Kit question/answer pairs as qa', async () => {
    const source = fixtureJson<{ question: string; answer: string }[]>('sdk_sample_qa_pairs.json');
    const result = await importDataset(fixtureInput('sdk_sample_qa_pairs.json'));
    expect(result.shape).toBe('qa');
    expect(result.records.map((r) => r.content)).toEqual(source.map((p) => ({ type: 'qa', ...p })));
  });

  describe('the Law StackExchange layout', () => {
    const source = fixtureJson<StackexchangeFixtureRow[]>('stackexchange_law_schema.json');
    const resultPromise = importDataset(fixtureInput('stackexchange_law_schema.json'));

    it('keeps exactly the answered questions and reports each unanswered one as skipped', async () => {
      const result = await resultPromise;
      expect(source).toHaveLength(461);
      expect(result.shape).toBe('stackexchange');
      expect(result.records).toHaveLength(325);
      expect(result.skipped).toHaveLength(136);
      expect(result.problems).toEqual([]);
      const unanswered = source.map((q, index) => ({ q, index })).filter(({ q }) => q.answers.length === 0);
      expect(result.skipped.map((s) => s.index)).toEqual(unanswered.map((u) => u.index));
      expect(result.skipped[0].message).toBe(`question ${unanswered[0].q.question_id} has no answer`);
    });

    it('leaves no HTML tags or entities that were markup in the source', async () => {
      const result = await resultPromise;
      const byId = new Map(source.map((q) => [q.question_id, q]));
      const markupTag = /<\/?(p|a|ol|ul|li|code|pre|blockquote|strong|em|h[1-6]|hr|img|br|sup|div|strike|kbd|b)[\s>/]/g;
      const escapedTag = /&lt;\/?(p|a|ol|ul|li|code|pre|blockquote|strong|em|h[1-6]|hr|img|br|sup|div|strike|kbd|b)[\s&/]/g;
      const entity = /&(#\d+|#x[0-9a-f]+|[a-z]+);/gi;
      const escapedEntity = /&amp;(#\d+|#x[0-9a-f]+|[a-z]+);/gi;
      for (const record of result.records) {
        if (record.content.type !== 'qa') throw new Error('expected qa');
        const question = byId.get(record.metadata.questionId as number)!;
        const answer = question.answers.find((a) => a.answer_id === record.metadata.answerId)!;
        const html = question.question_title + question.question_body + answer.body;
        const text = `${record.content.question}\n${record.content.answer}`;
        // Code samples may legitimately show "<div>" once decoded from "&lt;div&gt;": only those may remain.
        expect((text.match(markupTag) ?? []).length).toBeLessThanOrEqual((html.match(escapedTag) ?? []).length);
        expect((text.match(entity) ?? []).length).toBeLessThanOrEqual((html.match(escapedEntity) ?? []).length);
      }
      const allText = result.records.map((r) => (r.content.type === 'qa' ? r.content.question : '')).join('\n');
      expect(allText).not.toContain('&#39;');
      expect(allText).not.toContain('&quot;');
    });

    it('uses title + body as the question and the best-scored answer, keeping scores, tags, licence and link', async () => {
      const result = await resultPromise;
      const index = source.findIndex((q) => q.answers.length > 1 && new Set(q.answers.map((a) => a.score)).size > 1);
      const question = source[index];
      const best = [...question.answers].sort((a, b) => b.score - a.score)[0];
      const record = result.records.find((r) => r.position === index)!;
      expect(record.metadata).toMatchObject({
        questionId: question.question_id,
        questionScore: question.score,
        answerId: best.answer_id,
        answerScore: best.score,
        tags: question.tags,
        license: question.license,
        link: question.link,
      });
      if (record.content.type !== 'qa') throw new Error('expected qa');
      expect(record.content.question.startsWith(`${htmlToText(question.question_title)}\n\n`)).toBe(true);
      expect(record.content.answer).toBe(htmlToText(best.body));
    });

    it('decodes entities in titles', async () => {
      const result = await resultPromise;
      const index = source.findIndex((q) => q.question_title.includes('&#39;') && q.answers.length > 0);
      const record = result.records.find((r) => r.position === index)!;
      if (record.content.type !== 'qa') throw new Error('expected qa');
      expect(record.content.question.split('\n\n')[0]).toBe(source[index].question_title.replaceAll('&#39;', "'").replaceAll('&quot;', '"'));
    });
  });
});

describe('htmlToText', () => {
  it('removes tags, decodes entities, keeps code blocks verbatim and collapses other whitespace', () => {
    const html =
      '<p>Use   <code>a &amp;&amp; b</code>\n  here&#39;s why</p><ul><li>one</li><li><p>two</p></li></ul>' + // a loose list item
      '<pre><code>if (a &lt; b) {\n    go();\n}\n</code></pre><p>done&nbsp;now</p>';
    expect(htmlToText(html)).toBe("Use a && b here's why\n\n- one\n\n- two\n\nif (a < b) {\n    go();\n}\n\ndone now");
  });

  it('drops scripts and styles', () => {
    expect(htmlToText('<p>keep</p><script>alert(1)</script><style>p{}</style>')).toBe('keep');
  });
});

describe('importDataset containers', () => {
  it('keeps the good lines of a JSONL file and reports each broken one with its line number', async () => {
    const text = [
      '{"question": "Q1", "answer": "A1"}',
      '{"question": "Q2", "answer": ',
      '',
      '{"question": "Q3", "answer": "A3"}',
      'not json at all',
      '{"question": "Q4"}',
      '{"question": "Q5", "answer": "A5"}',
    ].join('\n');
    const result = await importDataset(textInput('pairs.jsonl', text));
    expect(result.records.map((r) => (r.content.type === 'qa' ? r.content.question : ''))).toEqual(['Q1', 'Q3', 'Q5']);
    expect(result.problems.map((p) => p.line)).toEqual([2, 5, 6]);
    expect(result.problems[0].message).toMatch(/invalid JSON/);
    expect(result.problems[2].message).toBe('"answer" is missing');
  });

  it('names the file and the line/column of invalid JSON', async () => {
    const text = '[\n  {"question": "Q1", "answer": "A1"}\n  {"question": "Q2", "answer": "A2"}\n]';
    const error = await importDataset(textInput('broken.json', text)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    const formatError = error as DatasetFormatError;
    expect(formatError.fileName).toBe('broken.json');
    expect(formatError.message).toContain('broken.json');
    expect(formatError.message).toMatch(/line 3, column 3/);
    expect(formatError.hint).toMatch(/comma/);
  });

  it('reads a .json file that is really JSON Lines', async () => {
    const text = '{"question": "Q1", "answer": "A1"}\n{"question": "Q2", "answer": "A2"}\n';
    const result = await importDataset(textInput('pairs.json', text));
    expect(result.records).toHaveLength(2);
  });

  it('finds the list under data/records/rows', async () => {
    const text = JSON.stringify({ version: 1, rows: [{ prompt: 'P', chosen: 'good', rejected: 'bad' }] });
    const result = await importDataset(textInput('prefs.json', text));
    expect(result.shape).toBe('preference');
    expect(result.records[0].content).toEqual({ type: 'preference', prompt: 'P', chosen: 'good', rejected: 'bad' });
  });

  it('reads RFC 4180 CSV with quoted commas, doubled quotes and embedded newlines', async () => {
    const csv =
      'instruction,input,output\r\n' +
      '"Say ""hi""","",hello\r\n' +
      '"Two\nlines, one cell",ctx,"out, with comma"\r\n' +
      'short row,only two\r\n' +
      'Last,,done\r\n';
    const result = await importDataset(textInput('data.csv', csv));
    expect(result.shape).toBe('alpaca');
    expect(result.records.map((r) => r.content)).toEqual([
      { type: 'qa', question: 'Say "hi"', answer: 'hello' },
      { type: 'qa', question: 'Two\nlines, one cell\n\nctx', answer: 'out, with comma' },
      { type: 'qa', question: 'Last', answer: 'done' },
    ]);
    // The short row starts on line 5 because the row before it spans lines 3 and 4.
    expect(result.problems).toEqual([{ line: 5, message: expect.stringMatching(/2 fields but the header has 3/) }]);
  });

  it('reads Parquet, including list columns', async () => {
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: ['a', 'b'], type: 'STRING' },
        {
          name: 'messages',
          data: [
            [
              { role: 'user', content: 'Hi' },
              { role: 'assistant', content: 'Hello' },
            ],
            [
              { role: 'system', content: 'Be nice' },
              { role: 'user', content: '2+2?' },
              { role: 'assistant', content: '4' },
            ],
          ],
        },
      ],
    });
    const result = await importDataset({ fileName: 'chat.parquet', bytes: new Uint8Array(buffer) });
    expect(result.shape).toBe('openai-messages');
    expect(result.records.map((r) => r.content)).toEqual([
      {
        type: 'conversation',
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
        ],
      },
      {
        type: 'conversation',
        messages: [
          { role: 'system', content: 'Be nice' },
          { role: 'user', content: '2+2?' },
          { role: 'assistant', content: '4' },
        ],
      },
    ]);
  });
});

describe('importDataset shapes', () => {
  it('turns Alpaca history and system prompts into conversations', async () => {
    const rows = [{ instruction: 'And 3+3?', input: '', output: '6', system: 'Math tutor', history: [['2+2?', '4']] }];
    const result = await importDataset(textInput('hist.json', JSON.stringify(rows)));
    expect(result.records[0].content).toEqual({
      type: 'conversation',
      messages: [
        { role: 'system', content: 'Math tutor' },
        { role: 'user', content: '2+2?' },
        { role: 'assistant', content: '4' },
        { role: 'user', content: 'And 3+3?' },
        { role: 'assistant', content: '6' },
      ],
    });
  });

  it('reads OpenAI messages, joining text parts and refusing tool turns', async () => {
    const lines = [
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Hel' },
              { type: 'text', text: 'lo' },
            ],
          },
          { role: 'assistant', content: 'Hi' },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'tool', content: 'y' },
          { role: 'assistant', content: 'z' },
        ],
      },
    ];
    const result = await importDataset(textInput('chat.jsonl', lines.map((l) => JSON.stringify(l)).join('\n')));
    expect(result.records[0].content).toEqual({
      type: 'conversation',
      messages: [
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi' },
      ],
    });
    expect(result.problems).toEqual([{ line: 2, message: expect.stringMatching(/role is "tool"/) }]);
  });

  it('maps other layouts through dot paths to any record type', async () => {
    const rows = [
      { meta: { q: 'Why?' }, reply: { steps: 'Because.', final: 'Yes' } },
      { meta: { q: 'How?' }, reply: { final: 'Like so' } },
    ];
    const result = await importDataset(textInput('custom.json', JSON.stringify(rows)), {
      mapping: { question: 'meta.q', reasoning: 'reply.steps', answer: 'reply.final' },
    });
    expect(result.shape).toBe('mapped');
    expect(result.records[0].content).toEqual({ type: 'cot', question: 'Why?', reasoning: 'Because.', answer: 'Yes' });
    expect(result.problems).toEqual([{ index: 1, message: '"reply.steps" (mapped to reasoning) is missing' }]);
  });

  it('rejects a mapping that does not fit its target type, naming the fields', async () => {
    const error = await importDataset(textInput('custom.json', '[{"a": 1}]'), {
      mapping: { question: 'a', summary: 'b' },
      mapToType: 'qa',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as Error).message).toMatch(/"summary", which qa records do not have/);
  });

  it('honours a shape override and reports rows that do not match it', async () => {
    const rows = [
      { question: 'Q', answer: 'A' },
      { instruction: 'I', output: 'O' },
    ];
    const result = await importDataset(textInput('mixed.json', JSON.stringify(rows)), { shape: 'alpaca' });
    expect(result.shape).toBe('alpaca');
    expect(result.records.map((r) => r.position)).toEqual([1]);
    expect(result.problems).toEqual([{ index: 0, message: '"instruction" is missing' }]);
  });

  it('says which columns it saw when it cannot tell the layout', async () => {
    const error = await importDataset(textInput('odd.json', '[{"foo": 1, "bar": 2}]')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as Error).message).toMatch(/odd\.json: cannot tell the dataset layout from its columns \(foo, bar\)/);
    expect((error as DatasetFormatError).hint).toMatch(/mapping/);
  });
});
