// The Hugging Face dataset layout: data/{split}-00000-of-00001.parquet plus a README.md dataset card whose
// YAML front matter declares the configs, splits and features, so `datasets.load_dataset(dir)` (and the
// Hub viewer) read it without arguments. Chat-like records become a `messages` column (what TRL's
// SFTTrainer and most chat templates take); preference records become prompt/chosen/rejected (DPO/ORPO).
import { fileWriter, parquetWrite } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { stringify as toYaml } from 'yaml';
import type { DatasetRecord } from '../../records';
import { ExportFormatError } from '../errors';
import type { ExportMappingOptions } from '../types';
import { dpoRowOf, openaiChatRowOf } from './record-mapping';

export type HfLayout = 'messages' | 'preference';

export function hfDataFileName(split: string): string {
  return `${split}-00000-of-00001.parquet`;
}

/** One layout per dataset: a Parquet config has one schema, so chat and preference records cannot mix. */
export function hfLayoutFor(records: readonly DatasetRecord[]): HfLayout {
  const preference = records.filter((r) => r.content.type === 'preference').length;
  if (preference === 0) return 'messages';
  if (preference === records.length) return 'preference';
  throw new ExportFormatError(
    'hf',
    `a Hugging Face dataset has one schema, but these records mix ${preference} preference records with ${records.length - preference} others`,
    'Export preference records and the other types as two datasets',
  );
}

const STRING_REQUIRED = { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' } as const;

/** Parquet schemas in the standard 3-level LIST form that pyarrow and `datasets` read as list<struct>. */
function schemaFor(layout: HfLayout): SchemaElement[] {
  if (layout === 'preference') {
    return [
      { name: 'root', num_children: 4 },
      { name: 'id', ...STRING_REQUIRED },
      { name: 'prompt', ...STRING_REQUIRED },
      { name: 'chosen', ...STRING_REQUIRED },
      { name: 'rejected', ...STRING_REQUIRED },
    ];
  }
  return [
    { name: 'root', num_children: 2 },
    { name: 'id', ...STRING_REQUIRED },
    { name: 'messages', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'REQUIRED', num_children: 2 },
    { name: 'role', ...STRING_REQUIRED },
    { name: 'content', ...STRING_REQUIRED },
  ];
}

export interface HfRows {
  columns: Record<string, unknown[]>;
  count: number;
}

export function hfRowsOf(layout: HfLayout, records: readonly DatasetRecord[], opts: ExportMappingOptions): HfRows {
  if (layout === 'preference') {
    const rows = records.map((r) => ({ id: r.id, ...dpoRowOf(r) }));
    return {
      count: rows.length,
      columns: {
        id: rows.map((r) => r.id),
        prompt: rows.map((r) => r.prompt),
        chosen: rows.map((r) => r.chosen),
        rejected: rows.map((r) => r.rejected),
      },
    };
  }
  const messages = records.map((r) => openaiChatRowOf(r, { ...opts, keepMetadata: false }).messages);
  return { count: records.length, columns: { id: records.map((r) => r.id), messages } };
}

/** Writes one split's Parquet file (synchronously, flushed in ~1 MB chunks by hyparquet-writer). */
export function writeHfParquet(path: string, layout: HfLayout, rows: HfRows): void {
  const schema = schemaFor(layout);
  parquetWrite({
    writer: fileWriter(path),
    schema,
    columnData: Object.entries(rows.columns).map(([name, data]) => ({ name, data })),
    // Statistics on long texts only bloat the footer; nobody filters training rows by min/max.
    statistics: false,
  });
}

const HF_FEATURES: Record<HfLayout, unknown[]> = {
  messages: [
    { name: 'id', dtype: 'string' },
    {
      name: 'messages',
      list: [
        { name: 'role', dtype: 'string' },
        { name: 'content', dtype: 'string' },
      ],
    },
  ],
  preference: [
    { name: 'id', dtype: 'string' },
    { name: 'prompt', dtype: 'string' },
    { name: 'chosen', dtype: 'string' },
    { name: 'rejected', dtype: 'string' },
  ],
};

export interface HfCardInput {
  name: string;
  layout: HfLayout;
  splits: { split: string; records: number }[];
  typeCounts: Record<string, number>;
}

/** README.md with the YAML front matter `datasets` reads (configs → data_files per split, features). */
export function hfDatasetCard({ name, layout, splits, typeCounts }: HfCardInput): string {
  const frontMatter = {
    configs: [
      {
        config_name: 'default',
        data_files: splits.map(({ split }) => ({ split, path: `data/${split}-*` })),
      },
    ],
    // Split sizes are left out of dataset_info: `datasets` wants their in-memory byte sizes too, which
    // only it can compute; it counts the rows itself when loading.
    dataset_info: { features: HF_FEATURES[layout] },
    tags: ['datacreek', 'synthetic', layout === 'preference' ? 'dpo' : 'sft'],
  };
  const total = splits.reduce((n, s) => n + s.records, 0);
  const types = Object.entries(typeCounts)
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  const columns =
    layout === 'preference'
      ? '`id`, `prompt`, `chosen`, `rejected` (text): preference pairs for DPO or ORPO'
      : '`id` (text) and `messages` (a list of `{role, content}` with roles system, user, assistant): conversations for supervised fine-tuning, ready for a chat template';
  return `---
${toYaml(frontMatter).trimEnd()}
---

# ${name}

A fine-tuning dataset exported by datacreek: ${total} records (${types}).

- Columns: ${columns}.
- Splits: ${splits.map((s) => `${s.split} ${s.records}`).join(', ')}.

\`\`\`python
from datasets import load_dataset
dataset = load_dataset("path/to/${name}")
\`\`\`
`;
}
