// docker-compose.yml cannot run here (no Docker engine): check that it parses, that the datacreek services
// get every variable the config needs, and that each variable they set is one the config schema knows.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig, PROJECT_ROOT } from '../../../src/infra/config/load';

const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });

describe('docker-compose.yml', () => {
  const appServices = ['migrate', 'worker', 'api'];

  it('has the Temporal server, its schema job, the UI, both databases and the app services', () => {
    for (const s of ['temporal-db', 'temporal-schema', 'temporal', 'temporal-ui', 'app-db', ...appServices]) {
      expect(compose.services[s], s).toBeDefined();
    }
    expect(compose.services.temporal.image).toMatch(/^temporalio\/server:/);
    expect(compose.services['temporal-schema'].image).toMatch(/^temporalio\/admin-tools:/);
    expect(JSON.stringify(compose)).not.toContain('auto-setup');
    for (const v of ['temporal-db', 'app-db', 'datacreek-data']) expect(compose.volumes).toHaveProperty(v);
    expect(compose.services.api.healthcheck).toBeDefined();
  });

  it('sets only variables the config schema knows, and they validate', () => {
    for (const name of appServices) {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(compose.services[name].environment as Record<string, string>)) {
        // Resolve ${VAR:-default} to its default, as compose would with nothing set.
        env[k] = String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
      }
      const cfg = loadConfig({ env }); // throws on an unknown DATACREEK_* name or an invalid value
      expect(cfg.database.url).toContain('@app-db:5432/datacreek');
      expect(cfg.temporal.address).toBe('temporal:7233');
      expect(cfg.temporal.start_dev_server).toBe(false);
      expect(cfg.paths.data_dir).toBe('/data');
    }
  });
});
