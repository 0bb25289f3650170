// The CLI's side of "one writer per dataset": before it starts a task that writes a dataset, it asks whether
// another task holds the dataset's writer lease, and refuses at once (exit 5) naming it. The workflow's first
// activity checks again and alone decides; this spares starting a task that would only fail.
import type { Client } from '@temporalio/client';
import type { Database } from '../infra/db';
import { CliError, EXIT } from './output';

export async function refuseWhileDatasetBusy(database: Database, temporal: Client, datasetId: string, starting?: string): Promise<void> {
  const { busyExplanation, liveWriter, temporalWriterIsLive } = await import('../activities');
  const holder = await liveWriter(database.sql, datasetId, temporalWriterIsLive(temporal));
  if (holder && holder.taskId !== starting) {
    const { message, hint } = busyExplanation(datasetId, holder);
    throw new CliError(message, EXIT.busy, hint);
  }
}
