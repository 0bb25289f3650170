// The shapes a validated pipeline takes: every file it references already read and checked, so the pipeline
// can be stored as JSON and run by any worker without the files.
import type { BlockType } from './json-schema';

/** A prompt config (`config_path`): the five parts joined into one Jinja template, and how to parse answers. */
export interface PromptConfig {
  file: string;
  template: string;
  startTags: string[];
  endTags: string[];
  /** Columns the template reads. */
  variables: string[];
}

export interface ResolvedBlock {
  index: number;
  name: string;
  type: BlockType;
  config: Record<string, any>;
  dropColumns: string[];
  dropDuplicates: string[];
  /** LLM blocks: the prompt config per selector value (`*` for a plain LLMBlock). */
  prompts?: Record<string, PromptConfig>;
  /** SamplePopulatorBlock: the loaded configs by name. */
  populate?: Record<string, Record<string, unknown>>;
  /** IterBlock: the block it repeats. */
  inner?: ResolvedBlock;
}

export interface ResolvedPipeline {
  file: string;
  version: string;
  blocks: ResolvedBlock[];
  warnings: string[];
  /** Columns the first blocks read that no block produces: what the input rows must have. */
  requiredInputColumns: string[];
}

/** A row between blocks: a deterministic id (input id plus one suffix per fan-out) and its columns. */
export interface PipelineRow {
  id: string;
  data: Record<string, unknown>;
}

export interface RowReject {
  rowId: string;
  reason: string;
  data: Record<string, unknown>;
}
