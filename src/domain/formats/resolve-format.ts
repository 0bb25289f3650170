// Turns a format name a person typed (CLI flag, API field) into an ExportFormat, with the aliases people use.
import { ExportFormatError } from './errors';
import { EXPORT_FORMATS, EXPORT_FORMAT_ALIASES, type ExportFormat } from './types';

export function resolveExportFormat(name: string): ExportFormat {
  const key = name.trim().toLowerCase();
  if ((EXPORT_FORMATS as readonly string[]).includes(key)) return key as ExportFormat;
  const alias = (EXPORT_FORMAT_ALIASES as Readonly<Record<string, ExportFormat>>)[key];
  if (alias) return alias;
  throw new ExportFormatError(name, 'is not an export format', `Use one of ${EXPORT_FORMATS.join(', ')} (or ${Object.keys(EXPORT_FORMAT_ALIASES).join(', ')})`);
}
