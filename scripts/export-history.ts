// Exports one workflow run's history as a replay history file for the replay test:
//   npx tsx scripts/export-history.ts <workflowId> [runId] --name <case>
// writes tests/replay/histories/<workflowType>--<case>.json. The Temporal server is the configured one
// (TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, or configs/config.yaml and DATACREEK_CONFIG).
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../src/infra/config/load';
import { checkCaseName, exportHistory } from '../testkit/replay/history-file';

const USAGE = 'usage: npx tsx scripts/export-history.ts <workflowId> [runId] --name <case>';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { name: { type: 'string' } } });
  const [workflowId, runId, ...extra] = positionals;
  if (!workflowId || extra.length > 0 || !values.name) {
    console.error(USAGE);
    process.exit(2);
  }
  checkCaseName(values.name);
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const file = await exportHistory(client, { workflowId, runId, name: values.name });
    console.log(`wrote ${file}`);
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(`export-history: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
