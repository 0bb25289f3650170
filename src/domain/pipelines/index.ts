// YAML block pipelines: InstructLab's format (version 1.0) plus datacreek's blocks. Load and validate a file,
// run a block over rows, turn taxonomy files into rows.
export { PipelineValidationError, formatIssue, type PipelineIssue } from './errors';
export { BLOCK_TYPES, publishedPipelineSchema, type BlockType } from './json-schema';
export { CHUNK_COLUMNS, loadPipeline, loadPipelineFile, type LoadOptions } from './load';
export { rejectKey, runBlock, runPipelineInMemory, type BlockContext, type BlockResult, type InMemoryRunResult } from './run-block';
export { taxonomyRows, TaxonomyError, type TaxonomyOptions } from './taxonomy';
export { rowToRecord, resolveRecordMapping, type RecordMapping } from './record-mapping';
export type { PipelineRow, ResolvedBlock, ResolvedPipeline, RowReject } from './types';
export type { LlmApi } from './blocks/llm-blocks';
