// Vectors: the LanceDB-backed store, table naming per dataset, the Embedder interface and the lexical fallback embedder.
export {
  openVectorStore,
  openConfiguredVectorStore,
  type VectorStore,
  type VectorRow,
  type VectorSearchResult,
  type StoredVectors,
  type VectorStoreOptions,
} from './store';
export { vectorTableName, datasetTablePrefix, assertValidTableName, chunkTableName, recordTableName, belongsToDataset } from './table-names';
export { dropDatasetTables } from './dataset-tables';
export { removeScratchFolders } from './table-maintenance';
export type { Embedder } from './embedder';
export { embedLexical, embedLexicalOne, createLexicalEmbedder, DEFAULT_LEXICAL_DIMS } from './lexical-embedder';
export * from './store';
export * from './lexical-embedder';
export * from './embedder';
export * from './dataset-tables';
export * from './table-names';
