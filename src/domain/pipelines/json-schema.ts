// The pipeline file format as JSON Schema: InstructLab's version-1 schema (the same top level, the same block
// entries, the same config shapes) extended with datacreek's blocks. The whole document is what
// `datacreek pipeline schema` prints, for editors and other tools; validation uses the per-type config
// schemas below, so an error names the one shape the block's type requires rather than every alternative.
import { FILTER_STEP_TYPES } from '../quality';
import { DATASET_TYPES } from '../records';

type JsonSchema = Record<string, unknown>;

const str = { type: 'string' };
const strList = { type: 'array', items: str };
const num = { type: 'number' };

const genKwargs = {
  type: 'object',
  additionalProperties: false,
  properties: {
    model: str,
    max_tokens: num,
    temperature: num,
    n: { oneOf: [num, { type: 'string', enum: ['scaled'] }] },
    seed: num,
    extra_body: { type: 'object' },
  },
};
const parserKwargs = {
  type: 'object',
  properties: { parser_name: str, parsing_pattern: str, parser_cleanup_tags: strList },
};
const batchKwargs = { type: 'object', properties: { num_samples: num } };
const llmCommon = { model_id: str, model_family: str, model_prompt: str, parser_kwargs: parserKwargs, batch_kwargs: batchKwargs, gen_kwargs: genKwargs };

/** How a row becomes a datacreek record for the judge, the reward model and the quality filters. */
const recordMapping = {
  type: 'object',
  additionalProperties: false,
  description: 'Which columns make the record: { type: qa, columns: { question: question, answer: response } }',
  properties: {
    type: { type: 'string', enum: [...DATASET_TYPES] },
    columns: { type: 'object', additionalProperties: str },
  },
};

const object = (description: string, required: string[], properties: Record<string, unknown>, additionalProperties = false): JsonSchema => ({
  type: 'object',
  description,
  required,
  additionalProperties,
  properties,
});

/** Config schema per block type. */
export const BLOCK_CONFIG_SCHEMAS = {
  LLMBlock: object('LLMBlock', ['config_path', 'output_cols'], { config_path: str, output_cols: strList, ...llmCommon }),
  LLMLogProbBlock: object('LLMLogProbBlock', ['config_path', 'output_cols'], { config_path: str, output_cols: strList, ...llmCommon }),
  ConditionalLLMBlock: object('ConditionalLLMBlock', ['config_paths', 'output_cols', 'selector_column_name'], {
    config_paths: { type: 'array', minItems: 1, items: { type: 'array', minItems: 2, maxItems: 2, items: str } },
    output_cols: strList,
    selector_column_name: str,
    ...llmCommon,
  }),
  LLMMessagesBlock: object('LLMMessagesBlock', ['input_col', 'output_col'], { input_col: str, output_col: str, model_id: str, gen_kwargs: genKwargs }),
  FilterByValueBlock: object('FilterByValueBlock', ['filter_column', 'filter_value', 'operation'], {
    convert_dtype: { type: 'string', enum: ['float', 'int', 'bool'] },
    default_value: str,
    filter_column: str,
    filter_value: { oneOf: [str, num, { type: 'array', items: { oneOf: [str, num] } }] },
    operation: { type: 'string', enum: ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'contains'] },
  }),
  SamplePopulatorBlock: object('SamplePopulatorBlock', ['config_paths', 'column_name'], { config_paths: strList, column_name: str, post_fix: str }),
  SelectorBlock: object('SelectorBlock', ['choice_map', 'choice_col', 'output_col'], {
    choice_map: { type: 'object', additionalProperties: str },
    choice_col: str,
    output_col: str,
  }),
  CombineColumnsBlock: object('CombineColumnsBlock', ['columns', 'output_col'], { output_col: str, columns: strList, separator: str }),
  FlattenColumnsBlock: object('FlattenColumnsBlock', ['value_name', 'var_cols', 'var_name'], { value_name: str, var_cols: strList, var_name: str }),
  DuplicateColumnsBlock: object('DuplicateColumnsBlock', ['columns_map'], { columns_map: { type: 'object', additionalProperties: str } }),
  RenameColumnsBlock: object('RenameColumnsBlock', ['columns_map'], { columns_map: { type: 'object', additionalProperties: str } }),
  SetToMajorityValueBlock: object('SetToMajorityValueBlock', ['col_name'], { col_name: str }),
  IterBlock: object('IterBlock', ['num_iters', 'block_type'], { num_iters: { type: 'integer', minimum: 1 }, block_type: str }, true),
  // datacreek's own blocks
  SourceBlock: object('SourceBlock (datacreek): the rows of a dataset — its chunks as `document`, its seed records as their fields', [], {
    dataset: str,
    from: { type: 'string', enum: ['chunks', 'seeds', 'all'] },
  }),
  JudgeBlock: object('JudgeBlock (datacreek): LLM judge rating 1–10; rows below the threshold are rejected', [], {
    threshold: { type: 'number', minimum: 1, maximum: 10 },
    output_col: str,
    source_col: str,
    record: recordMapping,
  }),
  RewardBlock: object('RewardBlock (datacreek): reward-model score; rows below the threshold (if any) are rejected', [], {
    threshold: num,
    output_col: str,
    record: recordMapping,
  }),
  QualityFilterBlock: object('QualityFilterBlock (datacreek): one step of the quality filter pipeline', ['filter'], {
    filter: { type: 'object', required: ['step'], properties: { step: { type: 'string', enum: FILTER_STEP_TYPES } } },
    record: recordMapping,
  }),
  DedupBlock: object('DedupBlock (datacreek): drops exact, near (MinHash) or semantic duplicates within the batch', ['method', 'columns'], {
    method: { type: 'string', enum: ['exact', 'minhash', 'semantic'] },
    threshold: { type: 'number', minimum: 0, maximum: 1 },
    columns: { ...strList, minItems: 1 },
  }),
} satisfies Record<string, JsonSchema>;

export type BlockType = keyof typeof BLOCK_CONFIG_SCHEMAS;
export const BLOCK_TYPES = Object.keys(BLOCK_CONFIG_SCHEMAS) as BlockType[];
export const LLM_PROMPT_BLOCKS: readonly BlockType[] = ['LLMBlock', 'LLMLogProbBlock', 'ConditionalLLMBlock'];

/** The file's top level and block entries; configs are checked per type afterwards. */
export const PIPELINE_FILE_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'blocks'],
  properties: {
    version: str,
    blocks: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'type', 'config'],
        properties: {
          name: str,
          type: str,
          drop_duplicates: strList,
          drop_columns: strList,
          config: { type: 'object' },
        },
      },
    },
    datamixing: {
      type: 'object',
      additionalProperties: false,
      properties: { auxiliary_instructions: { type: 'object', patternProperties: { '.*': strList } } },
    },
  },
};

/** The published schema: the file schema with `type` limited to known blocks and `config` one of their shapes. */
export function publishedPipelineSchema(): JsonSchema {
  const blocks = (PIPELINE_FILE_SCHEMA.properties as Record<string, JsonSchema>).blocks;
  const items = blocks.items as JsonSchema;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'datacreek block pipeline (InstructLab pipeline format version 1.0, extended)',
    ...PIPELINE_FILE_SCHEMA,
    properties: {
      ...(PIPELINE_FILE_SCHEMA.properties as Record<string, unknown>),
      blocks: {
        ...blocks,
        items: {
          ...items,
          properties: {
            ...(items.properties as Record<string, unknown>),
            type: { type: 'string', enum: BLOCK_TYPES },
            config: { anyOf: Object.values(BLOCK_CONFIG_SCHEMAS) },
          },
        },
      },
    },
  };
}
