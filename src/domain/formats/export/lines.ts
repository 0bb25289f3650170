// The text of the line-based exports (JSON Lines formats and CSV), produced one line at a time so a
// writer can stream it; exportText joins it for in-memory use (conversion, previews, tests).
import type { DatasetRecord } from '../../records';
import { formatCsvRow } from '../csv';
import { ExportFormatError } from '../errors';
import type { ExportFormat, ExportMappingOptions } from '../types';
import { csvColumnsFor, csvValuesOf } from './csv-layout';
import { assertFormatCarries, lineRowsOf } from './record-mapping';

export type LineFormat = Exclude<ExportFormat, 'hf'>;

export function* exportLines(records: readonly DatasetRecord[], format: LineFormat, opts: ExportMappingOptions = {}): Generator<string> {
  if (format === 'csv') {
    const columns = csvColumnsFor(records);
    yield formatCsvRow(columns);
    for (const record of records) yield formatCsvRow(csvValuesOf(record, columns));
    return;
  }
  for (const record of records) {
    for (const row of lineRowsOf(format, record, opts)) yield `${JSON.stringify(row)}\n`;
  }
}

/** The whole export as one string; `hf` is a directory, so it goes through writeExport instead. */
export function exportText(records: readonly DatasetRecord[], format: ExportFormat, opts: ExportMappingOptions = {}): string {
  if (format === 'hf') {
    throw new ExportFormatError('hf', 'is a directory of Parquet files, not one text', 'Use writeExport with an outDir');
  }
  assertFormatCarries(format, records);
  let text = '';
  for (const line of exportLines(records, format, opts)) text += line;
  return text;
}
