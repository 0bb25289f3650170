// The demo job `npm start` runs on the bundled sample: ingest it through the real workflow, then show where
// to look. Kept apart from `dev` so the stack command stays a plain stack command.
import path from 'node:path';
import { connectTemporalClient, workflowUiUrl } from '../../client/temporal';
import { PROJECT_ROOT } from '../../config/load';
import type { DatacreekConfig } from '../../config/schema';
import type { IngestResult } from '../../workflows/ingest-input';

export const DEMO_DATASET = 'demo';

export async function runDemo(config: DatacreekConfig, log: (m: string) => void): Promise<void> {
  const client = await connectTemporalClient(config);
  const samples = path.join(PROJECT_ROOT, 'samples');
  const workflowId = `ingest-${DEMO_DATASET}-${Date.now().toString(36)}`;
  log(`demo: ingesting ${samples} into dataset "${DEMO_DATASET}" (workflow ${workflowId})`);
  const result: IngestResult = await client.workflow.execute('ingestWorkflow', {
    taskQueue: config.temporal.task_queue,
    workflowId,
    args: [{ datasetId: DEMO_DATASET, items: [{ path: samples }], exclude: ['**/SOURCES.md'] }],
  });
  for (const f of result.files) {
    log(`demo:   ${f.item}: ${f.status}${f.chunks !== undefined ? `, ${f.chunks} chunks` : ''}${f.error ? ` (${f.error.message})` : ''}`);
  }
  log(`demo: history in the Web UI: ${workflowUiUrl(config, workflowId)}`);
  await client.connection.close();
}
