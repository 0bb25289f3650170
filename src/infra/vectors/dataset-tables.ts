// Removing a dataset removes all of its vector tables, whatever purposes they were made for.
import type { VectorStore } from './store';
import { datasetTablePrefix } from './table-names';

/** Drops every table of `datasetId`; returns the names dropped. */
export async function dropDatasetTables(store: VectorStore, datasetId: string): Promise<string[]> {
  const tables = await store.listTables(datasetTablePrefix(datasetId));
  for (const table of tables) await store.dropTable(table);
  return tables;
}
