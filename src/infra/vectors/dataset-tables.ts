// Removing a dataset removes all of its vector tables, whatever purposes they were made for.
import type { VectorStore } from './store';
import { belongsToDataset } from './table-names';

/** Drops every table of `datasetId` (see belongsToDataset); returns the names dropped. */
export async function dropDatasetTables(store: Pick<VectorStore, 'listTables' | 'dropTable'>, datasetId: string): Promise<string[]> {
  const tables = (await store.listTables()).filter((name) => belongsToDataset(name, datasetId));
  for (const table of tables) await store.dropTable(table);
  return tables;
}
