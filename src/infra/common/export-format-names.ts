// The names of the export formats and their aliases: one list that the config, the workflow input, the API, the
// CLI and the exporters all read (src/domain/formats re-exports it), kept here so the config schema can use it.
/** Files that fine-tuning tools load. `hf` is a directory (Parquet splits + dataset card). */
export const EXPORT_FORMATS = ['jsonl', 'alpaca', 'openai-chat', 'sharegpt', 'dpo', 'kto', 'text', 'csv', 'hf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Other names people use for the same files. */
export const EXPORT_FORMAT_ALIASES = {
  chatml: 'openai-chat',
  openai: 'openai-chat',
  messages: 'openai-chat',
  orpo: 'dpo',
  parquet: 'hf',
  huggingface: 'hf',
} as const satisfies Readonly<Record<string, ExportFormat>>;

/**
 * Every name an export may be asked for (formats and their aliases): the one list the config, the workflow input,
 * the API and the CLI accept, so none of them refuses a format the exporter writes.
 */
export const EXPORT_FORMAT_NAMES = [...EXPORT_FORMATS, ...(Object.keys(EXPORT_FORMAT_ALIASES) as (keyof typeof EXPORT_FORMAT_ALIASES)[])] as [
  ExportFormat,
  ...(ExportFormat | keyof typeof EXPORT_FORMAT_ALIASES)[],
];
