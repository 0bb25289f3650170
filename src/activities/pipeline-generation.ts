// A pipeline as the generation stage of a build (`datacreek build --pipeline my.yaml`): for one source item of
// a batch, the pipeline's blocks run in-process over the row that item makes, and every output row becomes a
// candidate record of the build's type; rows the pipeline rejected come back as failures with their reasons.
// Dedup against the dataset, scoring and acceptance stay the build's own.
import type { ActivityDeps } from './deps';
import { resolvePipelineSource } from './pipeline';
import type { LlmClient } from '../infra/llm';
import { emptyTokenCount, type TokenCount } from '../infra/llm';
import { resolveRecordMapping, rowToRecord, runPipelineInMemory, type PipelineRow, type RecordMapping, type ResolvedPipeline } from '../domain/pipelines';
import { variationSeed } from '../domain/generation';
import type { DatasetType, RecordContent } from '../domain/records';
import type { DatacreekConfig } from '../infra/config';

/** What `--pipeline` names: YAML text, a file path, or a pipeline in pipelines.dir. */
export function buildPipelineSource(pipeline: string) {
  if (pipeline.includes('\n')) return { yaml: pipeline };
  if (pipeline.startsWith('/')) return { path: pipeline };
  return { name: pipeline };
}

/** Validates a build's pipeline once, when the build is prepared (throws PipelineValidationError). */
export function resolveBuildPipeline(config: DatacreekConfig, pipeline: string): ResolvedPipeline {
  return resolvePipelineSource(config, buildPipelineSource(pipeline), { numInstructions: 0 });
}

export interface PipelineSourceItem {
  kind: 'chunk' | 'seed';
  id: string;
  text?: string;
  content?: RecordContent;
}

/** The record mapping for a build type; conversations from the shipped pipeline come turn by turn. */
function mappingFor(type: DatasetType, row: Record<string, unknown>): RecordMapping {
  if (type === 'conversation' && !('messages' in row) && 'followup' in row) {
    return resolveRecordMapping({ type, columns: { user_1: 'question', assistant_1: 'response', user_2: 'followup', assistant_2: 'followup_response' } });
  }
  return resolveRecordMapping({ type });
}

export async function generateWithPipeline(
  deps: ActivityDeps,
  llm: LlmClient,
  args: { pipeline: string; type: DatasetType; item: PipelineSourceItem; variation: string; signal?: AbortSignal },
): Promise<{ items: RecordContent[]; failures: { raw: string; reason: string }[]; usage: TokenCount }> {
  const pipeline = resolveBuildPipeline(deps.config, args.pipeline);
  const data: Record<string, unknown> =
    args.item.kind === 'chunk' ? { document: args.item.text ?? '', chunk_id: args.item.id } : { ...(args.item.content ?? {}), seed_record_id: args.item.id };
  const row: PipelineRow = { id: args.item.id, data };
  const blocks = pipeline.blocks[0]?.type === 'SourceBlock' ? { ...pipeline, blocks: pipeline.blocks.slice(1) } : pipeline;
  const { config } = deps;
  const result = await runPipelineInMemory(blocks, [row], {
    llm,
    model: llm.config.model,
    api: config.pipelines.llm_api,
    // A later round over the same source item asks for other samples.
    seed: variationSeed(args.variation),
    signal: args.signal,
    rewardLlm: deps.rewardLlm,
    judgePrompts: config.prompts,
    judgeBatchSize: config.curate.judge_batch_size,
    reward: { parse: config.reward.parse, weights: config.reward.weights },
    embed: deps.embedder,
  });
  const items: RecordContent[] = [];
  const failures = result.rejects.map((r) => ({ raw: JSON.stringify(r.data).slice(0, 20000), reason: `${r.block}: ${r.reason}` }));
  for (const out of result.rows) {
    const record = rowToRecord(out.data, mappingFor(args.type, out.data));
    if (record.ok) items.push(record.content);
    else failures.push({ raw: JSON.stringify(out.data).slice(0, 20000), reason: `pipeline output: ${record.reason}` });
  }
  return { items, failures, usage: result.usage ?? emptyTokenCount() };
}
