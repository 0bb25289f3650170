// A Temporal client for the API, the CLI and tests.
import { Client, Connection } from '@temporalio/client';
import type { DatacreekConfig } from '../infra/config';

export async function connectTemporalClient(config: DatacreekConfig): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 5000 });
  return new Client({ connection, namespace: config.temporal.namespace });
}

/** A link to a workflow in the Temporal Web UI. */
export function workflowUiUrl(config: DatacreekConfig, workflowId: string): string {
  return `${config.temporal.ui_url.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
