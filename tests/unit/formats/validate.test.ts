import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateExport, validateExportText } from '../../../src/domain/formats/index';
import { fixtureInput } from './fixture-files';

const jsonl = (rows: unknown[]): string => `${rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`;
const lineNumbers = (problems: { line: number }[]): number[] => [...new Set(problems.map((p) => p.line))];

describe('validateExport: OpenAI chat fine-tuning rules', () => {
  const good = {
    messages: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
    ],
  };
  const text = jsonl([
    good,
    { messages: [{ role: 'user', content: 'Hi' }] }, // 2: no assistant
    {
      messages: [
        { role: 'bot', content: 'x' },
        { role: 'assistant', content: 'y' },
      ],
    }, // 3: bad role
    good,
    '{"messages": [', // 5: broken JSON
    {
      messages: [
        { role: 'user', content: '' },
        { role: 'assistant', content: 'y' },
      ],
    }, // 6: empty content
    { prompt: 'old style', completion: 'x' }, // 7: no messages
    {
      messages: [
        { role: 'user', content: 'q', extra: 1 },
        { role: 'assistant', content: 'a', weight: 2 },
      ],
    }, // 8
    good,
  ]);

  it('finds each planted problem on its line', () => {
    const result = validateExportText(text, 'openai-chat');
    expect(result.ok).toBe(false);
    expect(lineNumbers(result.problems)).toEqual([2, 3, 5, 6, 7, 8]);
    expect(result.records).toBe(8);
    const at = (line: number) => result.problems.filter((p) => p.line === line).map((p) => p.message);
    expect(at(2)).toEqual(['has no assistant message']);
    expect(at(3)[0]).toMatch(/messages\[0\]\.role is "bot"/);
    expect(at(5)[0]).toMatch(/^invalid JSON/);
    expect(at(6)).toEqual(['messages[0].content must be a non-empty string']);
    expect(at(7)).toEqual(['"messages" is missing or not a list']);
    expect(at(8)).toEqual(['messages[0] has unrecognized key(s) extra', 'messages[1].weight must be 0 or 1']);
  });

  it('flags blank lines in the middle but not the final newline', () => {
    const result = validateExportText(`${JSON.stringify(good)}\n\n${JSON.stringify(good)}\n`, 'openai-chat');
    expect(result.problems).toEqual([{ line: 2, message: expect.stringMatching(/blank line/) }]);
  });
});

describe('validateExport: LLaMA-Factory rules', () => {
  it('alpaca: instruction and output non-empty, input a string, history pairs of strings', () => {
    const text = jsonl([
      { instruction: 'I', input: '', output: 'O' },
      { instruction: '', input: '', output: 'O' },
      { instruction: 'I', input: 3, output: 'O' },
      { instruction: 'I', output: 'O', history: [['a', 'b'], ['c']] },
      { instruction: 'I', output: '' },
    ]);
    const result = validateExportText(text, 'alpaca');
    expect(result.problems).toEqual([
      { line: 2, message: '"instruction" must be a non-empty string' },
      { line: 3, message: '"input" must be a string' },
      { line: 4, message: 'history[1] must be a [user, assistant] pair of strings' },
      { line: 5, message: '"output" must be a non-empty string' },
    ]);
  });

  it('sharegpt: after an optional system turn, human and gpt alternate from human to gpt', () => {
    const turn = (from: string, value = 'x') => ({ from, value });
    const text = jsonl([
      { conversations: [turn('system'), turn('human'), turn('gpt')] },
      { conversations: [turn('gpt'), turn('human')] },
      { conversations: [turn('human'), turn('gpt'), turn('human')] },
      { conversations: [turn('human'), turn('human'), turn('gpt')] },
      { conversations: [turn('human'), turn('gpt', '')] },
    ]);
    const result = validateExportText(text, 'sharegpt');
    expect(lineNumbers(result.problems)).toEqual([2, 3, 4, 5]);
    expect(result.problems.find((p) => p.line === 3)!.message).toBe('"conversations" must end with a gpt turn');
    expect(result.problems.find((p) => p.line === 2)!.message).toMatch(/conversations\[0\]\.from is "gpt"; expected human/);
  });

  it('reports JSON array files (as LLaMA-Factory ships them) at the line where each element starts', async () => {
    expect((await validateExport(new TextDecoder().decode(fixtureInput('alpaca_en_demo_200.json').bytes), 'alpaca')).ok).toBe(true);
    const text = '[\n  {"instruction": "I", "output": "O"},\n  {"instruction": "I",\n   "output": ""},\n  {"instruction": "x", "output": "y"}\n]';
    const result = await validateExport(text, 'alpaca');
    expect(result.records).toBe(3);
    expect(result.problems).toEqual([{ line: 3, message: '"output" must be a non-empty string' }]);
  });

  it('the FastChat ShareGPT fixture passes', async () => {
    const result = await validateExport(new TextDecoder().decode(fixtureInput('sharegpt_dummy_conversation.json').bytes), 'sharegpt');
    expect(result).toEqual({ ok: true, problems: [], records: 500 });
  });
});

describe('validateExport: axolotl, DPO and KTO', () => {
  it('axolotl chat_template needs role/content messages with an assistant turn', () => {
    const text = jsonl([
      {
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'a' },
        ],
      },
      { messages: [{ from: 'human', value: 'q' }] },
      { conversations: [] },
    ]);
    const result = validateExportText(text, 'axolotl-chat-template');
    expect(lineNumbers(result.problems)).toEqual([2, 3]);
  });

  it('dpo needs three non-empty, different texts; kto a boolean label', () => {
    const dpo = validateExportText(
      jsonl([
        { prompt: 'p', chosen: 'a', rejected: 'b' },
        { prompt: 'p', chosen: 'a', rejected: 'a' },
        { prompt: 'p', chosen: 'a' },
      ]),
      'dpo',
    );
    expect(dpo.problems).toEqual([
      { line: 2, message: '"chosen" and "rejected" are identical' },
      { line: 3, message: '"rejected" must be a non-empty string' },
    ]);
    const kto = validateExportText(
      jsonl([
        { prompt: 'p', completion: 'a', label: true },
        { prompt: 'p', completion: 'a', label: 'yes' },
      ]),
      'kto',
    );
    expect(kto.problems).toEqual([{ line: 2, message: '"label" must be true or false' }]);
  });

  it('reads a file from a path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'datacreek-validate-'));
    const path = join(dir, 'train.jsonl');
    writeFileSync(path, jsonl([{ prompt: 'p', completion: 'c', label: false }]));
    try {
      expect(await validateExport({ path }, 'kto')).toEqual({ ok: true, problems: [], records: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
