// Vectors: the LanceDB-backed store, table naming per dataset, and the lexical fallback embedder.
export { openVectorStore, openConfiguredVectorStore, type VectorStore, type VectorRow, type VectorSearchResult, type StoredVectors, type VectorStoreOptions } from './store';
export { vectorTableName, datasetTablePrefix, assertValidTableName } from './table-names';
export { dropDatasetTables } from './dataset-tables';
export { embedLexical, embedLexicalOne, createLexicalEmbedder, DEFAULT_LEXICAL_DIMS, type Embedder } from './lexical-embedder';
