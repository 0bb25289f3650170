// datacreek's own blocks, usable in the same files: the LLM judge (1–10 with a threshold), the reward model,
// one step of the quality filter pipeline, and dedup. Each reads a row as a datacreek record (see
// record-mapping.ts) and reuses the code the build uses, so a pipeline judges and filters exactly as a build.
import { dedupeRecords, type EmbedFunction } from '../../dedup';
import { judgeRecords, rewardScoreRecords } from '../../generation';
import type { PromptTemplates } from '../../generation';
import type { LlmClient } from '../../../infra/llm';
import type { Embedder } from '../../../infra/vectors';
import { emptyTokenCount, type TokenCount } from '../../../infra/llm';
import { buildFilterPipeline, runFilterPipeline } from '../../quality';
import type { DatasetRecord, RecordContent } from '../../records';
import { mappingColumns, resolveRecordMapping, rowToRecord, type RecordMapping } from '../record-mapping';
import type { PipelineRow, ResolvedBlock, RowReject } from '../types';
import type { BlockOutput } from './column-blocks';

export interface DatacreekBlockContext {
  llm: LlmClient;
  rewardLlm: () => LlmClient;
  judgePrompts: PromptTemplates;
  judgeBatchSize: number;
  reward: { parse: 'content' | 'logprobs'; weights: Record<string, number> };
  /** The embedder for semantic dedup (an Embedder also sets the default threshold by its kind). */
  embed?: EmbedFunction | Embedder;
  signal?: AbortSignal;
}

/** Rows that make records, and rejects for those that do not. */
function asRecords(rows: PipelineRow[], mapping: RecordMapping): { records: DatasetRecord[]; byId: Map<string, PipelineRow>; rejects: RowReject[] } {
  const records: DatasetRecord[] = [];
  const byId = new Map<string, PipelineRow>();
  const rejects: RowReject[] = [];
  for (const row of rows) {
    const record = rowToRecord(row.data, mapping);
    if (!record.ok) rejects.push({ rowId: row.id, reason: record.reason, data: row.data });
    else {
      records.push({ id: row.id, content: record.content });
      byId.set(row.id, row);
    }
  }
  return { records, byId, rejects };
}

/** Writes a record's (possibly modified) text back into the row's columns. */
function recordToColumns(content: RecordContent, mapping: RecordMapping): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const turns = content.type === 'conversation' ? mappingColumns(mapping) : [];
  if (content.type === 'conversation' && !('messages' in mapping.columns) && turns.length === content.messages.length) {
    content.messages.forEach((message, i) => (out[turns[i]] = message.content));
    return out;
  }
  for (const [field, value] of Object.entries(content)) {
    if (field === 'type') continue;
    out[mapping.columns[field] ?? field] = value;
  }
  return out;
}

export async function runJudgeBlock(block: ResolvedBlock, rows: PipelineRow[], ctx: DatacreekBlockContext): Promise<BlockOutput & { usage: TokenCount }> {
  const mapping = resolveRecordMapping(block.config.record);
  const threshold = block.config.threshold ?? 7;
  const outputCol = block.config.output_col ?? 'judge_score';
  const sourceCol = block.config.source_col ?? 'document';
  const { records, byId, rejects } = asRecords(rows, mapping);
  if (records.length === 0) return { rows: [], rejects, usage: emptyTokenCount() };
  const result = await judgeRecords(
    ctx.llm,
    records.map((r) => ({
      id: r.id,
      content: r.content,
      sourceText: typeof byId.get(r.id)!.data[sourceCol] === 'string' ? (byId.get(r.id)!.data[sourceCol] as string) : undefined,
    })),
    { batchSize: ctx.judgeBatchSize, prompts: ctx.judgePrompts, signal: ctx.signal },
  );
  const out: PipelineRow[] = [];
  for (const failure of result.failures) rejects.push({ rowId: failure.id, reason: `judge_failed: ${failure.reason}`, data: byId.get(failure.id)!.data });
  for (const rating of result.ratings) {
    const row = byId.get(rating.id)!;
    if (rating.rating < threshold) rejects.push({ rowId: row.id, reason: `below_threshold: judge rated ${rating.rating} < ${threshold}`, data: row.data });
    else out.push({ id: row.id, data: { ...row.data, [outputCol]: rating.rating } });
  }
  return { rows: orderLike(rows, out), rejects, usage: result.usage };
}

export async function runRewardBlock(block: ResolvedBlock, rows: PipelineRow[], ctx: DatacreekBlockContext): Promise<BlockOutput & { usage: TokenCount }> {
  const mapping = resolveRecordMapping(block.config.record);
  const threshold: number | undefined = block.config.threshold;
  const outputCol = block.config.output_col ?? 'reward_score';
  const { records, byId, rejects } = asRecords(rows, mapping);
  if (records.length === 0) return { rows: [], rejects, usage: emptyTokenCount() };
  const result = await rewardScoreRecords(ctx.rewardLlm(), records, { parse: ctx.reward.parse, weights: ctx.reward.weights, signal: ctx.signal });
  const out: PipelineRow[] = [];
  for (const failure of result.failures) rejects.push({ rowId: failure.id, reason: `reward_failed: ${failure.reason}`, data: byId.get(failure.id)!.data });
  for (const score of result.scores) {
    const row = byId.get(score.id)!;
    if (threshold !== undefined && score.score < threshold)
      rejects.push({ rowId: row.id, reason: `below_threshold: reward ${score.score.toFixed(3)} < ${threshold}`, data: row.data });
    else out.push({ id: row.id, data: { ...row.data, [outputCol]: score.score } });
  }
  return { rows: orderLike(rows, out), rejects, usage: result.usage };
}

export async function runQualityFilterBlock(block: ResolvedBlock, rows: PipelineRow[]): Promise<BlockOutput> {
  const mapping = resolveRecordMapping(block.config.record);
  const { records, byId, rejects } = asRecords(rows, mapping);
  const outcome = await runFilterPipeline(records, buildFilterPipeline([block.config.filter]));
  for (const rejection of outcome.rejected) rejects.push({ rowId: rejection.id, reason: rejection.reason, data: byId.get(rejection.id)!.data });
  // Steps such as pii (redact) and html_clean change the text: the changes go back into the row's columns.
  const kept = outcome.kept.map((record) => ({ id: record.id, data: { ...byId.get(record.id)!.data, ...recordToColumns(record.content, mapping) } }));
  return { rows: kept, rejects };
}

export async function runDedupBlock(block: ResolvedBlock, rows: PipelineRow[], ctx: DatacreekBlockContext): Promise<BlockOutput> {
  const method: 'exact' | 'minhash' | 'semantic' = block.config.method;
  const threshold: number | undefined = block.config.threshold;
  const columns: string[] = block.config.columns;
  const records: DatasetRecord[] = rows.map((row) => ({
    id: row.id,
    content: {
      type: 'qa',
      question: columns.map((c) => (typeof row.data[c] === 'string' ? row.data[c] : JSON.stringify(row.data[c] ?? ''))).join('\n'),
      answer: '',
    },
  }));
  const result = await dedupeRecords(
    records,
    {
      exact: method === 'exact',
      minhash: { enabled: method === 'minhash', ...(method === 'minhash' && threshold !== undefined ? { threshold } : {}) },
      semantic: { enabled: method === 'semantic', ...(method === 'semantic' && threshold !== undefined ? { threshold } : {}) },
    },
    ctx.embed,
  );
  const duplicateOf = new Map(result.duplicates.map((d) => [d.id, d]));
  const out: BlockOutput = { rows: [], rejects: [] };
  for (const row of rows) {
    const dup = duplicateOf.get(row.id);
    if (dup)
      out.rejects.push({
        rowId: row.id,
        reason: `${dup.reason}: of row ${dup.duplicateOf}${dup.similarity !== undefined ? ` (similarity ${dup.similarity.toFixed(3)})` : ''}`,
        data: row.data,
      });
    else out.rows.push(row);
  }
  return out;
}

/** Kept rows in their input order (scorers answer in any order). */
function orderLike(input: PipelineRow[], kept: PipelineRow[]): PipelineRow[] {
  const position = new Map(input.map((row, i) => [row.id, i]));
  return [...kept].sort((a, b) => position.get(a.id)! - position.get(b.id)!);
}
