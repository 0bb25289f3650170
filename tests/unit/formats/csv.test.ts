import { describe, expect, it } from 'vitest';
import { formatCsvRow, parseCsv } from '../../../src/domain/formats/csv';

describe('parseCsv / formatCsvRow (RFC 4180)', () => {
  it('round-trips fields with commas, quotes, CR/LF and empty values', () => {
    const rows = [
      ['id', 'text', 'empty'],
      ['1', 'plain', ''],
      ['2', 'comma, "quote" and\r\nCRLF\nLF', ''],
      ['3', '"', ','],
    ];
    const text = rows.map((r) => formatCsvRow(r)).join('');
    expect(parseCsv(text).rows.map((r) => r.fields)).toEqual(rows);
  });

  it('reports the line each row starts on, counting newlines inside quoted fields', () => {
    const { rows } = parseCsv('h1,h2\n"a\nb\nc",x\n\nlast,y\n');
    expect(rows.map((r) => r.line)).toEqual([1, 2, 6]);
  });

  it('keeps a lone quoted empty field as a row but skips blank lines', () => {
    expect(parseCsv('h\n""\n\n').rows.map((r) => r.fields)).toEqual([['h'], ['']]);
  });

  it('names the line where an unclosed quote starts', () => {
    expect(parseCsv('h1,h2\nok,1\n"never closed,2\n').unterminatedQuoteLine).toBe(3);
  });

  it('reads tab-separated text', () => {
    expect(parseCsv('a\tb\n1\t2', '\t').rows.map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });
});
