import { describe, expect, it } from 'vitest';
import type { DatasetRecord } from '../../../src/domain/records/types';
import {
  EXPORT_FORMATS,
  ExportFormatError,
  TRAINING_GOALS,
  TRAINING_GOAL_NAMES,
  convertFile,
  exportText,
  formatsForGoal,
  goalsForType,
  importDataset,
  importedToDatasetRecord,
  resolveExportFormat,
  validateExportText,
  type ExportFormat,
  type ValidationFormat,
} from '../../../src/domain/formats/index';
import { fixtureInput, fixtureJson, textInput } from './fixture-files';

const chatRecords: DatasetRecord[] = [
  { id: 'qa-1', content: { type: 'qa', question: 'What is 2+2?', answer: '4' } },
  { id: 'cot-1', content: { type: 'cot', question: 'Is 7 prime?', reasoning: 'No divisor between 2 and 6.', answer: 'Yes' } },
  { id: 'sum-1', content: { type: 'summary', instruction: 'Summarize.', input: 'A long text.', summary: 'Short.' } },
  {
    id: 'conv-1',
    content: {
      type: 'conversation',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Bye' },
        { role: 'assistant', content: 'Bye' },
      ],
    },
  },
  { id: 'pref-1', content: { type: 'preference', prompt: 'Capital of France?', chosen: 'Paris', rejected: 'Lyon' } },
];
const preferenceRecords = chatRecords.filter((r) => r.content.type === 'preference');

/** Each export format, the records it takes, and the trainer dialects its text must satisfy. */
const CASES: { format: Exclude<ExportFormat, 'hf'>; records: DatasetRecord[]; dialects: ValidationFormat[] }[] = [
  { format: 'jsonl', records: chatRecords, dialects: ['jsonl'] },
  { format: 'alpaca', records: chatRecords, dialects: ['alpaca'] },
  { format: 'openai-chat', records: chatRecords, dialects: ['openai-chat', 'axolotl-chat-template'] },
  { format: 'sharegpt', records: chatRecords, dialects: ['sharegpt'] },
  { format: 'dpo', records: preferenceRecords, dialects: ['dpo'] },
  { format: 'kto', records: preferenceRecords, dialects: ['kto'] },
  { format: 'text', records: chatRecords, dialects: ['text'] },
  { format: 'csv', records: chatRecords, dialects: ['csv'] },
];

describe('export formats', () => {
  it('covers every line format in the table above', () => {
    expect(CASES.map((c) => c.format).sort()).toEqual(EXPORT_FORMATS.filter((f) => f !== 'hf').sort());
  });

  for (const { format, records, dialects } of CASES) {
    it(`${format} passes ${dialects.join(' and ')} validation`, () => {
      const text = exportText(records, format, { systemPrompt: 'Be helpful.' });
      for (const dialect of dialects) {
        const result = validateExportText(text, dialect as Exclude<ValidationFormat, 'hf'>);
        expect(result.problems).toEqual([]);
        expect(result.records).toBe(format === 'kto' ? records.length * 2 : records.length);
      }
    });
  }

  it('maps each record type to chat turns, with the cot template and system prompt applied', () => {
    const lines = exportText(chatRecords, 'openai-chat', { systemPrompt: 'Be helpful.' })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].messages).toEqual([
      { role: 'system', content: 'Be helpful.' },
      { role: 'user', content: 'What is 2+2?' },
      { role: 'assistant', content: '4' },
    ]);
    expect(lines[1].messages[2]).toEqual({ role: 'assistant', content: 'No divisor between 2 and 6.\n\nAnswer: Yes' });
    expect(lines[2].messages[1]).toEqual({ role: 'user', content: 'Summarize.\n\nA long text.' });
    // The conversation's own system message wins over the export-wide one.
    expect(lines[3].messages[0]).toEqual({ role: 'system', content: 'You are terse.' });
    expect(lines[4].messages.slice(1)).toEqual([
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris' },
    ]);
    const custom = JSON.parse(exportText([chatRecords[1]], 'openai-chat', { cotTemplate: '<think>{reasoning}</think>\n{answer}' }));
    expect(custom.messages[1].content).toBe('<think>No divisor between 2 and 6.</think>\nYes');
  });

  it('writes Alpaca history, system and ShareGPT from/value turns', () => {
    const [alpaca] = exportText([chatRecords[3]], 'alpaca')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(alpaca).toEqual({ instruction: 'Bye', input: '', output: 'Bye', system: 'You are terse.', history: [['Hi', 'Hello']] });
    const sharegpt = JSON.parse(exportText([chatRecords[0]], 'sharegpt', { systemPrompt: 'S' }));
    expect(sharegpt).toEqual({
      id: 'qa-1',
      conversations: [
        { from: 'system', value: 'S' },
        { from: 'human', value: 'What is 2+2?' },
        { from: 'gpt', value: '4' },
      ],
    });
  });

  it('splits each preference pair into a desirable and an undesirable KTO row', () => {
    const rows = exportText(preferenceRecords, 'kto')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toEqual([
      { prompt: 'Capital of France?', completion: 'Paris', label: true },
      { prompt: 'Capital of France?', completion: 'Lyon', label: false },
    ]);
  });

  it('refuses record types a format cannot carry, naming the format and what it accepts', () => {
    let error: unknown;
    try {
      exportText(chatRecords.slice(0, 2), 'dpo');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExportFormatError);
    expect((error as Error).message).toMatch(/^dpo: accepts only preference records, but got 1 qa, 1 cot \(first: record "qa-1"\)/);
  });

  it('refuses a conversation Alpaca and ShareGPT cannot represent, naming the record', () => {
    const record: DatasetRecord = {
      id: 'odd',
      content: {
        type: 'conversation',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
          { role: 'assistant', content: 'c' },
        ],
      },
    };
    expect(() => exportText([record], 'alpaca')).toThrow(/record "odd" has turns user → user → assistant/);
    expect(() => exportText([record], 'sharegpt')).toThrow(/alternating/);
    expect(validateExportText(exportText([record], 'openai-chat'), 'openai-chat').ok).toBe(true);
  });

  it('resolves aliases such as chatml and orpo', () => {
    expect(resolveExportFormat('ChatML')).toBe('openai-chat');
    expect(resolveExportFormat('orpo')).toBe('dpo');
    expect(() => resolveExportFormat('yaml')).toThrow(/Use one of jsonl, alpaca/);
  });
});

describe('round trips', () => {
  const alpacaSource = fixtureJson<Record<string, string>[]>('alpaca_en_demo_200.json');

  async function convertText(fileName: string, bytes: Uint8Array, to: ExportFormat, keepMetadata: boolean) {
    const { output } = await convertFile({ fileName, bytes }, to, { keepMetadata });
    return { fileName: output!.fileName, bytes: output!.bytes, text: new TextDecoder().decode(output!.bytes) };
  }

  it('Alpaca → ShareGPT → Alpaca gives back the identical 200 rows', async () => {
    const sharegpt = await convertText('alpaca_en_demo_200.json', fixtureInput('alpaca_en_demo_200.json').bytes, 'sharegpt', true);
    expect(validateExportText(sharegpt.text, 'sharegpt').ok).toBe(true);
    const alpaca = await convertText(sharegpt.fileName, sharegpt.bytes, 'alpaca', false);
    const rows = alpaca.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toEqual(alpacaSource);
  });

  it('without kept metadata, the prompt text still survives (input joined to the instruction)', async () => {
    const sharegpt = await convertText('alpaca.json', fixtureInput('alpaca_en_demo_200.json').bytes, 'sharegpt', false);
    const alpaca = await convertText(sharegpt.fileName, sharegpt.bytes, 'alpaca', false);
    const rows = alpaca.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => `${r.instruction}|${r.output}`)).toEqual(
      alpacaSource.map((r) => `${r.input ? `${r.instruction}\n\n${r.input}` : r.instruction}|${r.output}`),
    );
  });

  it('ShareGPT → Alpaca → ShareGPT keeps all 500 conversations and their ids', async () => {
    const source = fixtureJson<unknown[]>('sharegpt_dummy_conversation.json');
    const alpaca = await convertText('dummy.json', fixtureInput('sharegpt_dummy_conversation.json').bytes, 'alpaca', true);
    expect(validateExportText(alpaca.text, 'alpaca').ok).toBe(true);
    const back = await convertText(alpaca.fileName, alpaca.bytes, 'sharegpt', false);
    expect(
      back.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(source);
  });

  it('chat JSONL → Alpaca → chat keeps every message', async () => {
    const conversations = fixtureJson<{ conversations: { from: string; value: string }[] }[]>('sharegpt_dummy_conversation.json');
    const chatLines = conversations.map((c, i) => ({
      messages: [
        ...(i % 3 === 0 ? [{ role: 'system', content: `System ${i}` }] : []),
        ...c.conversations.map((t) => ({ role: t.from === 'human' ? 'user' : 'assistant', content: t.value })),
      ],
    }));
    const chatText = `${chatLines.map((l) => JSON.stringify(l)).join('\n')}\n`;
    const alpaca = await convertText('chat.jsonl', textInput('chat.jsonl', chatText).bytes, 'alpaca', false);
    const back = await convertText(alpaca.fileName, alpaca.bytes, 'openai-chat', false);
    expect(back.text).toBe(chatText);
  });

  it('datacreek jsonl and csv exports import back to the same records', async () => {
    const records = [...chatRecords.map((r) => ({ ...r, score: 8, metadata: { note: 'x, "quoted"\nline' } }))];
    for (const format of ['jsonl', 'csv'] as const) {
      const text = exportText(records, format);
      const imported = await importDataset(textInput(`export.${format === 'csv' ? 'csv' : 'jsonl'}`, text));
      expect(imported.shape).toBe('datacreek');
      expect(imported.records.map((r) => r.content)).toEqual(records.map((r) => r.content));
      expect(imported.records[0].metadata).toMatchObject({ note: 'x, "quoted"\nline', sourceId: 'qa-1', sourceScore: 8 });
    }
  });

  it('imported records get stable ids from the file name and position', async () => {
    const result = await importDataset(fixtureInput('sdk_sample_qa_pairs.json'));
    expect(result.records.map((r) => importedToDatasetRecord(r, 'sdk').id)).toEqual(['sdk-0', 'sdk-1', 'sdk-2', 'sdk-3']);
  });
});

describe('training goals', () => {
  it('describes every goal with types, formats and a reason', () => {
    for (const goal of TRAINING_GOAL_NAMES) {
      expect(TRAINING_GOALS[goal].types.length).toBeGreaterThan(0);
      expect(TRAINING_GOALS[goal].why.length).toBeGreaterThan(20);
      for (const format of formatsForGoal(goal)) expect(EXPORT_FORMATS).toContain(format);
    }
  });

  it('sends preference pairs to DPO/ORPO/KTO formats and qa to SFT and GRPO', () => {
    expect(formatsForGoal('dpo')).toContain('dpo');
    expect(formatsForGoal('kto')).toContain('kto');
    expect(formatsForGoal('pretraining')).toContain('text');
    expect(goalsForType('preference')).toEqual(expect.arrayContaining(['dpo', 'orpo', 'kto', 'ppo']));
    expect(goalsForType('preference')).not.toContain('sft');
    expect(goalsForType('qa')).toEqual(expect.arrayContaining(['sft', 'grpo']));
  });
});
