// writeExport: records → files a fine-tuning tool loads, optionally split into train/validation/test.
// Lines are streamed to disk with back-pressure; every output is written under a temporary name and
// renamed at the end, so a failure (a record the format cannot carry, a full disk) leaves nothing behind.
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { DatasetRecord } from '../../records';
import { ExportFormatError } from '../errors';
import { splitRecords, SPLIT_NAMES, type SplitName, type SplitOptions } from '../splits';
import type { ExportFormat, ExportMappingOptions } from '../types';
import { AtomicOutputs } from './atomic-files';
import { hfDataFileName, hfDatasetCard, hfLayoutFor, hfRowsOf, writeHfParquet } from './hf-layout';
import { exportLines, type LineFormat } from './lines';
import { assertFormatCarries } from './record-mapping';

export interface WriteExportOptions extends ExportMappingOptions {
  format: ExportFormat;
  outDir: string;
  /** File name stem (`<baseName>.train.jsonl`), or the directory name for `hf`. */
  baseName: string;
  /** Split into train/validation/test; `true` uses the default 0.8/0.1/0.1 with seed 0. */
  splits?: SplitOptions | boolean;
}

export interface ExportedFile {
  /** `all` when no split was asked for (the `hf` layout calls its only split `train`). */
  split: SplitName | 'all';
  path: string;
  /** Records written; a KTO file has two rows per record. */
  records: number;
  rows: number;
  bytes: number;
}

export interface WriteExportResult {
  format: ExportFormat;
  files: ExportedFile[];
  /** The `hf` layout's directory and dataset card. */
  directory?: string;
  cardPath?: string;
}

export async function writeExport(records: readonly DatasetRecord[], opts: WriteExportOptions): Promise<WriteExportResult> {
  if (records.length === 0) {
    throw new ExportFormatError(opts.format, 'there are no records to export', 'Export after records were accepted');
  }
  if (!/^[\w.-]+$/.test(opts.baseName) || /^\.+$/.test(opts.baseName)) {
    throw new ExportFormatError(
      opts.format,
      `baseName ${JSON.stringify(opts.baseName)} is not a plain file name`,
      'Use letters, digits, dots, dashes and underscores only (no slashes); put directories in outDir',
    );
  }
  assertFormatCarries(opts.format, records);
  await mkdir(opts.outDir, { recursive: true });
  const parts = partition(records, opts.splits);
  const outputs = new AtomicOutputs();
  try {
    const result = opts.format === 'hf' ? await writeHfDataset(parts, opts, outputs) : await writeFiles(parts, opts, outputs);
    await outputs.commit();
    return result;
  } catch (error) {
    await outputs.abort();
    throw error;
  }
}

type Part = { split: SplitName | 'all'; records: readonly DatasetRecord[] };

/** Empty splits get no file: an empty training file is rejected by most tools. */
function partition(records: readonly DatasetRecord[], splits: WriteExportOptions['splits']): Part[] {
  if (!splits) return [{ split: 'all', records }];
  const split = splitRecords(records, splits === true ? {} : splits);
  return SPLIT_NAMES.map((name) => ({ split: name, records: split[name] })).filter((p) => p.records.length > 0);
}

async function writeFiles(parts: Part[], opts: WriteExportOptions, outputs: AtomicOutputs): Promise<WriteExportResult> {
  const extension = opts.format === 'csv' ? 'csv' : 'jsonl';
  const files: ExportedFile[] = [];
  for (const part of parts) {
    const name = part.split === 'all' ? `${opts.baseName}.${extension}` : `${opts.baseName}.${part.split}.${extension}`;
    const path = join(opts.outDir, name);
    const { rows, bytes } = await streamLines(outputs.reserve(path), exportLines(part.records, opts.format as LineFormat, opts));
    // The CSV header is a line but not a row.
    const dataRows = opts.format === 'csv' ? rows - 1 : rows;
    files.push({ split: part.split, path, records: part.records.length, rows: dataRows, bytes });
  }
  return { format: opts.format, files };
}

/** Lines are gathered into chunks of about this many characters: one write per line costs more than the I/O. */
const WRITE_CHUNK_CHARS = 256 * 1024;

/** Writes lines as they are produced, waiting for the stream to drain instead of buffering the file. */
async function streamLines(path: string, lines: Iterable<string>): Promise<{ rows: number; bytes: number }> {
  const stream = createWriteStream(path, { flags: 'wx' });
  let rows = 0;
  let bytes = 0;
  let chunk = '';
  const flush = async () => {
    bytes += Buffer.byteLength(chunk);
    const drained = stream.write(chunk);
    chunk = '';
    if (!drained) await once(stream, 'drain');
  };
  try {
    await once(stream, 'open');
    for (const line of lines) {
      rows++;
      chunk += line;
      if (chunk.length >= WRITE_CHUNK_CHARS) await flush();
    }
    if (chunk !== '') await flush();
    stream.end();
    await once(stream, 'finish');
  } catch (error) {
    stream.destroy();
    await once(stream, 'close').catch(() => undefined);
    throw error;
  }
  return { rows, bytes };
}

async function writeHfDataset(parts: Part[], opts: WriteExportOptions, outputs: AtomicOutputs): Promise<WriteExportResult> {
  const all = parts.flatMap((p) => p.records);
  const layout = hfLayoutFor(all);
  const directory = join(opts.outDir, opts.baseName);
  const temp = outputs.reserve(directory);
  await mkdir(join(temp, 'data'), { recursive: true });

  const files: ExportedFile[] = [];
  for (const part of parts) {
    const split = part.split === 'all' ? 'train' : part.split;
    const fileName = hfDataFileName(split);
    const rows = hfRowsOf(layout, part.records, opts);
    writeHfParquet(join(temp, 'data', fileName), layout, rows);
    const { size } = await stat(join(temp, 'data', fileName));
    files.push({ split: part.split, path: join(directory, 'data', fileName), records: part.records.length, rows: rows.count, bytes: size });
  }
  const typeCounts: Record<string, number> = {};
  all.forEach((r) => (typeCounts[r.content.type] = (typeCounts[r.content.type] ?? 0) + 1));
  const card = hfDatasetCard({
    name: opts.baseName,
    layout,
    splits: files.map((f) => ({ split: f.split === 'all' ? 'train' : f.split, records: f.records })),
    typeCounts,
  });
  await streamLines(join(temp, 'README.md'), [card]);
  return { format: 'hf', files, directory, cardPath: join(directory, 'README.md') };
}
