// One list of export format names serves the config, the workflow input, the API and the CLI: every name any of
// them accepts is one the exporter writes, and every format the exporter writes (including `text`) is accepted.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/infra/config/load';
import { resolveExportFormat } from '../../../src/domain/formats/resolve-format';
import { EXPORT_FORMATS, EXPORT_FORMAT_NAMES } from '../../../src/domain/formats/types';
import { exportInputSchema } from '../../../src/workflows/curate-input';

describe('export format names', () => {
  it('accepts every format the exporter writes, text included, everywhere', () => {
    expect(EXPORT_FORMATS).toContain('text');
    for (const format of EXPORT_FORMAT_NAMES) {
      expect(exportInputSchema.parse({ datasetId: 'd', format }).format).toBe(format);
      expect(loadConfig({ env: {}, overrides: { export: { format } } }).export.format).toBe(format);
      expect(EXPORT_FORMATS).toContain(resolveExportFormat(format));
    }
  });

  it('refuses a name the exporter does not know, listing the ones it does', () => {
    expect(() => exportInputSchema.parse({ datasetId: 'd', format: 'yaml' })).toThrow(/text/);
    expect(() => resolveExportFormat('yaml')).toThrow(/is not an export format/);
  });
});
