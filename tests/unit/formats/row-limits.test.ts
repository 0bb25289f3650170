// Limits on one imported dataset row: a row over a limit is reported by its line and left out; the others import.
import { describe, expect, it } from 'vitest';
import { importDataset } from '../../../src/domain/formats';

const jsonl = (rows: unknown[]) => new Uint8Array(Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n'));

describe('row limits on dataset import', () => {
  it('reports a row with an oversized field by line and imports the others', async () => {
    const rows = [
      { instruction: 'Say hi', output: 'hi' },
      { instruction: 'x'.repeat(2_000), output: 'too long' },
      { instruction: 'Say bye', output: 'bye' },
    ];
    const result = await importDataset({ fileName: 'rows.jsonl', bytes: jsonl(rows) }, { maxFieldBytes: 1_000 });
    expect(result.records).toHaveLength(2);
    expect(result.problems).toEqual([
      { line: 2, message: expect.stringContaining('field "instruction" is 2.0 KB, over the 1000 B limit per field (ingest.max_field_bytes)') },
    ]);
  });

  it('reports a conversation with too many messages, and one holding a NUL character', async () => {
    const turn = (i: number) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i}` });
    const rows = [
      { messages: [turn(0), turn(1)] },
      { messages: Array.from({ length: 12 }, (_, i) => turn(i)) },
      { messages: [turn(0), { role: 'assistant', content: 'nul \u0000 here' }] },
    ];
    const result = await importDataset({ fileName: 'chat.jsonl', bytes: jsonl(rows) }, { maxMessagesPerRow: 10 });
    expect(result.records).toHaveLength(1);
    expect(result.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(result.problems[0].message).toContain('has 12 entries, over the limit of 10 messages per row (ingest.max_messages_per_row)');
    expect(result.problems[1].message).toContain('contains a NUL character');
  });
});
