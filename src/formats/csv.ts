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
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowStartLine = 1;
  let inQuotes = false;
  let quoteStartLine = 0;
  // A row that is only an empty line is skipped, not returned as [''].
  let rowHasContent = false;

  const endRow = () => {
    fields.push(field);
    if (rowHasContent || fields.length > 1 || field !== '') rows.push({ line: rowStartLine, fields });
    fields = [];
    field = '';
    rowHasContent = false;
  };

  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') {
      inQuotes = true;
      quoteStartLine = line;
      rowHasContent = true;
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
      rowHasContent = true;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      // CRLF: the \n ends the row on the next iteration.
    } else if (ch === '\n' || ch === '\r') {
      endRow();
      line++;
      rowStartLine = line;
    } else {
      field += ch;
    }
  }
  if (inQuotes) return { rows, unterminatedQuoteLine: quoteStartLine };
  if (field !== '' || fields.length > 0 || rowHasContent) endRow();
  return { rows };
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
