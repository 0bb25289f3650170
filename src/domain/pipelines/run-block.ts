// One block over one batch of rows, then its drop_columns and drop_duplicates: the unit the runPipeline
// workflow checkpoints, and what a build calls in-process for a pipeline as its generation stage.
import { addTokenCounts, emptyTokenCount, type TokenCount } from '../../infra/llm';
import { dropColumns, dropDuplicates, runColumnBlock, type BlockOutput } from './blocks/column-blocks';
import { runDedupBlock, runJudgeBlock, runQualityFilterBlock, runRewardBlock, type DatacreekBlockContext } from './blocks/datacreek-blocks';
import { filterByValue } from './blocks/filter-by-value';
import { runMessagesBlock, runPromptBlock, type LlmBlockContext } from './blocks/llm-blocks';
import type { PipelineRow, ResolvedBlock, ResolvedPipeline, RowReject } from './types';

export type BlockContext = LlmBlockContext & DatacreekBlockContext;

export interface BlockResult extends BlockOutput {
  usage: TokenCount;
}

async function applyBlock(block: ResolvedBlock, rows: PipelineRow[], ctx: BlockContext): Promise<BlockResult> {
  const none = emptyTokenCount();
  switch (block.type) {
    case 'LLMBlock':
    case 'LLMLogProbBlock':
    case 'ConditionalLLMBlock':
      return runPromptBlock(block, rows, ctx);
    case 'LLMMessagesBlock':
      return runMessagesBlock(block, rows, ctx);
    case 'FilterByValueBlock':
      return { ...filterByValue(rows, block.config as never), usage: none };
    case 'JudgeBlock':
      return runJudgeBlock(block, rows, ctx);
    case 'RewardBlock':
      return runRewardBlock(block, rows, ctx);
    case 'QualityFilterBlock':
      return { ...(await runQualityFilterBlock(block, rows)), usage: none };
    case 'DedupBlock':
      return { ...(await runDedupBlock(block, rows, ctx)), usage: none };
    case 'IterBlock': {
      // Each iteration runs the inner block on the same input; the outputs are concatenated.
      const result: BlockResult = { rows: [], rejects: [], usage: none };
      for (let i = 0; i < block.config.num_iters; i++) {
        const iteration = await applyBlock(
          block.inner!,
          rows.map((row) => ({ id: `${row.id}.i${i}`, data: row.data })),
          ctx,
        );
        result.rows.push(...iteration.rows);
        result.rejects.push(...iteration.rejects);
        result.usage = addTokenCounts(result.usage, iteration.usage);
      }
      return result;
    }
    case 'SourceBlock':
      // Source rows are loaded when the run starts; at this point the block passes them on.
      return { rows, rejects: [], usage: none };
    default:
      return { ...runColumnBlock(block, rows), usage: none };
  }
}

export async function runBlock(block: ResolvedBlock, rows: PipelineRow[], ctx: BlockContext): Promise<BlockResult> {
  const result = await applyBlock(block, rows, ctx);
  const deduped = dropDuplicates(dropColumns(result.rows, block.dropColumns), block.dropDuplicates);
  return { rows: deduped.rows, rejects: [...result.rejects, ...deduped.rejects], usage: result.usage };
}

export interface InMemoryRunResult {
  rows: PipelineRow[];
  /** Rejects with the block that made them. */
  rejects: (RowReject & { block: string })[];
  usage: TokenCount;
}

/** Runs every block in order over rows held in memory (tests, and a build batch's generation stage). */
export async function runPipelineInMemory(pipeline: ResolvedPipeline, rows: PipelineRow[], ctx: BlockContext): Promise<InMemoryRunResult> {
  let current = rows;
  const rejects: InMemoryRunResult['rejects'] = [];
  let usage = emptyTokenCount();
  for (const block of pipeline.blocks) {
    const result = await runBlock(block, current, ctx);
    current = result.rows;
    usage = addTokenCounts(usage, result.usage);
    for (const reject of result.rejects) rejects.push({ ...reject, block: block.name });
  }
  return { rows: current, rejects, usage };
}

/** The reason's stable code, prefixed by its block: what progress counts rejects by. */
export function rejectKey(blockName: string, reason: string): string {
  const colon = reason.indexOf(':');
  return `${blockName}: ${colon < 0 ? reason : reason.slice(0, colon)}`;
}
