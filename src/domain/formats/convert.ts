// convertFile: an existing dataset in one layout → the same records in an export format (import, then
// export). With keepMetadata the round trips are exact: Alpaca → ShareGPT → Alpaca gives back the same
// instruction/input split, and ids survive; chat → Alpaca → chat keeps every message.
import { basename, extname } from 'node:path';
import type { DatasetRecord } from '../records';
import { exportText } from './export/lines';
import { writeExport, type WriteExportResult } from './export/write-export';
import { importDataset } from './import/index';
import type { ExportFormat, ExportMappingOptions, ImportOptions, ImportResult, ImportedRecord } from './types';

export interface ConvertOptions extends ExportMappingOptions {
  /** How to read the input (shape override, field mapping); auto-detected by default. */
  import?: ImportOptions;
  /** Write files here (required for `hf`); without it the converted text is returned in memory. */
  outDir?: string;
  /** Output name stem; defaults to the input's name without extension. */
  baseName?: string;
}

export interface ConvertResult {
  import: ImportResult;
  /** The converted file's name and bytes, when no outDir was given. */
  output?: { fileName: string; bytes: Uint8Array; records: number };
  /** What writeExport wrote, when an outDir was given. */
  written?: WriteExportResult;
}

export async function convertFile(input: { fileName: string; bytes: Uint8Array }, to: ExportFormat, opts: ConvertOptions = {}): Promise<ConvertResult> {
  const imported = await importDataset(input, opts.import);
  // File names from uploads may hold spaces or other characters that are not safe as an output name.
  const baseName = opts.baseName ?? basename(input.fileName, extname(input.fileName)).replace(/[^\w.-]+/g, '_');
  const records = imported.records.map((r) => importedToDatasetRecord(r, baseName));
  if (opts.outDir) {
    const written = await writeExport(records, { ...opts, format: to, outDir: opts.outDir, baseName });
    return { import: imported, written };
  }
  const text = exportText(records, to, opts);
  const extension = to === 'csv' ? 'csv' : 'jsonl';
  return {
    import: imported,
    output: { fileName: `${baseName}.${to}.${extension}`, bytes: new TextEncoder().encode(text), records: records.length },
  };
}

/** Imported rows get ids from the file and their position, so converting the same file twice agrees. */
export function importedToDatasetRecord(imported: ImportedRecord, datasetName: string): DatasetRecord {
  return {
    id: `${datasetName}-${imported.position}`,
    content: imported.content,
    metadata: imported.metadata,
    source: datasetName,
  };
}
