// runPipeline's activities: prepare (read and validate the pipeline, load the input rows, store both in
// batches), run one block of one batch (from its stored rows to the next stage, in one transaction with
// its checkpoint), reject a batch whose block failed for good, and finalize (write the output file).
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../infra/db';
import type { DatacreekConfig } from '../infra/config';
import {
  CHUNK_COLUMNS,
  loadPipeline,
  loadPipelineFile,
  PipelineValidationError,
  rejectKey,
  runBlock,
  taxonomyRows,
  TaxonomyError,
  type BlockContext,
  type PipelineRow,
  type ResolvedPipeline,
} from '../domain/pipelines';
import type { ParsedPipelineRunInput, PipelineBlockSummary, PreparedPipelineRun } from '../workflows/pipeline-input';
import { ensureDataset } from './datasets';
import type { ActivityDeps } from './deps';
import { badInput } from './errors';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** pipelines.dir, absolute. */
export function pipelinesDir(config: DatacreekConfig): string {
  return isAbsolute(config.pipelines.dir) ? config.pipelines.dir : resolve(REPO_ROOT, config.pipelines.dir);
}

/** A pipeline named without a path (`qa`, `instructlab/full/knowledge`) is a file in pipelines.dir. */
export function namedPipelinePath(config: DatacreekConfig, name: string): string {
  return join(pipelinesDir(config), name.endsWith('.yaml') || name.endsWith('.yml') ? name : `${name}.yaml`);
}

export function resolvePipelineSource(
  config: DatacreekConfig,
  source: ParsedPipelineRunInput['pipeline'],
  options: { inputColumns?: string[]; numInstructions?: number; confineTo?: string } = {},
): ResolvedPipeline {
  if ('yaml' in source) return loadPipeline(source.yaml, { ...options, file: '(pipeline YAML)', baseDir: source.baseDir ?? pipelinesDir(config) });
  return loadPipelineFile('name' in source ? namedPipelinePath(config, source.name) : source.path, options);
}

function readJsonl(path: string): PipelineRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw badInput(
      'InvalidInput',
      `cannot read input rows ${path} (${(error as NodeJS.ErrnoException).code ?? error})`,
      'give a JSON Lines file the worker can read',
    );
  }
  const rows: PipelineRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw badInput('InvalidInput', `${path} line ${i + 1} is not JSON`, 'each line of the input is one JSON object (a row)');
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw badInput('InvalidInput', `${path} line ${i + 1} is not an object`, 'each line is an object whose keys are the columns');
    rows.push({ id: `r${i + 1}`, data: value as Record<string, unknown> });
  });
  if (rows.length === 0) throw badInput('InvalidInput', `${path} has no rows`, 'add at least one JSON object line');
  return rows;
}

type Tx = Sql | TransactionSql;

export function createPipelineActivities(deps: ActivityDeps) {
  const { config, database } = deps;
  const { sql } = database;

  async function datasetRows(datasetId: string, ownerId: string, from: 'chunks' | 'seeds' | 'all'): Promise<PipelineRow[]> {
    await ensureDataset(database, { datasetId, ownerId });
    const rows: PipelineRow[] = [];
    if (from !== 'seeds') {
      const chunks = await sql<{ id: string; text: string; source_id: string }[]>`
        select id, text, source_id from chunks where dataset_id = ${datasetId} order by id`;
      for (const c of chunks) rows.push({ id: c.id, data: { document: c.text, chunk_id: c.id, source_id: c.source_id } });
    }
    if (from !== 'chunks') {
      const seeds = await sql<{ id: string; content: Record<string, unknown>; source_id: string }[]>`
        select id, content, source_id from seed_records where dataset_id = ${datasetId} order by id`;
      for (const s of seeds) rows.push({ id: s.id, data: { ...s.content, source_id: s.source_id } });
    }
    if (rows.length === 0) {
      throw badInput(
        'InvalidInput',
        `dataset "${datasetId}" has no ${from === 'all' ? 'chunks or seed records' : from}`,
        `ingest documents or a dataset file first: datacreek ingest <path> --dataset ${datasetId}`,
      );
    }
    return rows;
  }

  async function inputRows(input: ParsedPipelineRunInput, pipeline: ResolvedPipeline): Promise<PipelineRow[]> {
    const source = pipeline.blocks[0]?.type === 'SourceBlock' ? pipeline.blocks[0] : undefined;
    const given = input.input;
    if (given && 'rowsPath' in given) return readJsonl(given.rowsPath);
    if (given && 'taxonomyPath' in given) {
      try {
        return await taxonomyRows(given.taxonomyPath, { docsDir: given.docsDir });
      } catch (error) {
        if (error instanceof TaxonomyError) throw badInput('InvalidTaxonomy', error.message, error.hint);
        throw error;
      }
    }
    const dataset = (given && 'dataset' in given ? given.dataset : undefined) ?? source?.config.dataset;
    if (!dataset) {
      throw badInput(
        'InvalidInput',
        'the run has no input rows',
        'pass --dataset D, --input rows.jsonl or --taxonomy qna.yaml, or start the pipeline with a SourceBlock naming a dataset',
      );
    }
    const from = (given && 'dataset' in given ? given.from : undefined) ?? source?.config.from ?? 'all';
    return datasetRows(dataset, input.ownerId, from);
  }

  async function preparePipelineRun({ workflowId, input }: { workflowId: string; input: ParsedPipelineRunInput }): Promise<PreparedPipelineRun> {
    const batchSize = input.batchSize ?? config.pipelines.batch_size;
    const [existing] = await sql<{ pipeline: ResolvedPipeline; batch_count: number; input_rows: number }[]>`
      select pipeline, batch_count, input_rows from pipeline_runs where id = ${workflowId}`;
    let pipeline: ResolvedPipeline;
    let batches: number;
    let rowCount: number;
    if (existing) {
      // A retried prepare: the stored run is the truth, so the batches every later activity reads stay the same.
      pipeline = existing.pipeline;
      batches = existing.batch_count;
      rowCount = existing.input_rows;
    } else {
      try {
        const unchecked = resolvePipelineSource(config, input.pipeline);
        const rows = await inputRows(input, unchecked);
        const columns = [...new Set(rows.flatMap((r) => Object.keys(r.data)))];
        const starts = unchecked.blocks[0]?.type === 'SourceBlock';
        // Now that the input's columns are known, a column no block produces is an error, not a requirement.
        pipeline = resolvePipelineSource(config, input.pipeline, {
          inputColumns: starts ? columns.filter((c) => !CHUNK_COLUMNS.includes(c)) : columns,
          numInstructions: input.numInstructions ?? 0,
        });
        batches = Math.ceil(rows.length / batchSize);
        rowCount = rows.length;
        await sql.begin(async (tx) => {
          await tx`insert into pipeline_runs (id, owner_id, file, pipeline, options, batch_count, input_rows)
            values (${workflowId}, ${input.ownerId}, ${pipeline.file}, ${tx.json(pipeline as never)}, ${tx.json(input as never)}, ${batches}, ${rowCount})
            on conflict (id) do nothing`;
          for (let b = 0; b < batches; b++) await writeStage(tx, workflowId, b, 0, rows.slice(b * batchSize, (b + 1) * batchSize));
        });
      } catch (error) {
        if (error instanceof PipelineValidationError) throw badInput('InvalidPipeline', error.message, error.hint);
        throw error;
      }
    }
    return {
      file: pipeline.file,
      batches,
      inputRows: rowCount,
      blocks: pipeline.blocks.map((b) => ({ name: b.name, type: b.type })),
      concurrency: input.concurrency ?? config.pipelines.max_batches_in_flight,
      heartbeatTimeoutMs: config.worker.heartbeat_timeout_ms,
      warnings: pipeline.warnings,
    };
  }

  async function writeStage(tx: Tx, runId: string, batch: number, stage: number, rows: PipelineRow[]): Promise<void> {
    if (rows.length === 0) return;
    await tx`insert into pipeline_rows (run_id, batch, stage, position, row_id, data)
      select ${runId}, ${batch}, ${stage}, v.position, v.row_id, v.data::jsonb
      from unnest(${rows.map((_, i) => i)}::int[], ${rows.map((r) => r.id)}::text[], ${rows.map((r) => JSON.stringify(r.data))}::text[]) as v(position, row_id, data)
      on conflict do nothing`;
  }

  async function readStage(runId: string, batch: number, stage: number): Promise<PipelineRow[]> {
    const rows = await sql<{ row_id: string; data: Record<string, unknown> }[]>`
      select row_id, data from pipeline_rows where run_id = ${runId} and batch = ${batch} and stage = ${stage} order by position`;
    return rows.map((r) => ({ id: r.row_id, data: r.data }));
  }

  async function storedCheckpoint(runId: string, batch: number, blockIndex: number): Promise<PipelineBlockSummary | undefined> {
    const [row] = await sql<{ rows_in: number; rows_out: number; rejects: Record<string, number>; tokens_in: number; tokens_out: number; llm_calls: number }[]>`
      select rows_in, rows_out, rejects, tokens_in, tokens_out, llm_calls from pipeline_checkpoints
      where run_id = ${runId} and batch = ${batch} and block_index = ${blockIndex}`;
    if (!row) return undefined;
    return {
      batch,
      blockIndex,
      rowsIn: row.rows_in,
      rowsOut: row.rows_out,
      rejected: row.rejects,
      tokensIn: row.tokens_in,
      tokensOut: row.tokens_out,
      llmCalls: row.llm_calls,
      fromCheckpoint: true,
    };
  }

  /** Stores a block's outcome for a batch: next stage, rejects and checkpoint together, or nothing. */
  async function checkpoint(
    runId: string,
    batch: number,
    blockIndex: number,
    blockName: string,
    rowsIn: number,
    rows: PipelineRow[],
    rejects: { rowId: string; reason: string; data: Record<string, unknown> }[],
    usage: { promptTokens: number; completionTokens: number; calls: number },
  ): Promise<PipelineBlockSummary> {
    const rejected: Record<string, number> = {};
    for (const r of rejects) rejected[rejectKey(blockName, r.reason)] = (rejected[rejectKey(blockName, r.reason)] ?? 0) + 1;
    await sql.begin(async (tx) => {
      await writeStage(tx, runId, batch, blockIndex + 1, rows);
      if (rejects.length > 0) {
        await tx`insert into pipeline_rejects (run_id, batch, block_index, position, block_name, row_id, reason, data)
          select ${runId}, ${batch}, ${blockIndex}, v.position, ${blockName}, v.row_id, v.reason, v.data::jsonb
          from unnest(${rejects.map((_, i) => i)}::int[], ${rejects.map((r) => r.rowId)}::text[], ${rejects.map((r) => r.reason)}::text[],
                      ${rejects.map((r) => JSON.stringify(r.data))}::text[]) as v(position, row_id, reason, data)
          on conflict do nothing`;
      }
      await tx`insert into pipeline_checkpoints (run_id, batch, block_index, rows_in, rows_out, rejects, tokens_in, tokens_out, llm_calls)
        values (${runId}, ${batch}, ${blockIndex}, ${rowsIn}, ${rows.length}, ${tx.json(rejected)}, ${usage.promptTokens}, ${usage.completionTokens}, ${usage.calls})
        on conflict do nothing`;
    });
    return {
      batch,
      blockIndex,
      rowsIn,
      rowsOut: rows.length,
      rejected,
      tokensIn: usage.promptTokens,
      tokensOut: usage.completionTokens,
      llmCalls: usage.calls,
      fromCheckpoint: false,
    };
  }

  async function loadRun(runId: string): Promise<{ pipeline: ResolvedPipeline; options: ParsedPipelineRunInput }> {
    const [run] = await sql<{ pipeline: ResolvedPipeline; options: ParsedPipelineRunInput }[]>`select pipeline, options from pipeline_runs where id = ${runId}`;
    if (!run) throw badInput('NotFound', `pipeline run ${runId} was never prepared`, 'start the run again');
    return run;
  }

  function blockContext(options: ParsedPipelineRunInput, signal: AbortSignal, heartbeat: () => void): BlockContext {
    const llm = deps.llm();
    return {
      llm,
      model: options.model ?? llm.config.model,
      modelFamily: options.modelFamily,
      api: options.llmApi ?? config.pipelines.llm_api,
      numInstructions: options.numInstructions,
      signal,
      onRowDone: heartbeat,
      rewardLlm: deps.rewardLlm,
      judgePrompts: config.prompts,
      judgeBatchSize: config.curate.judge_batch_size,
      reward: { parse: config.reward.parse, weights: config.reward.weights },
      embed: deps.embedder,
    };
  }

  async function runPipelineBlock({ runId, batch, blockIndex }: { runId: string; batch: number; blockIndex: number }): Promise<PipelineBlockSummary> {
    const done = await storedCheckpoint(runId, batch, blockIndex);
    if (done) return done;
    const { pipeline, options } = await loadRun(runId);
    const block = pipeline.blocks[blockIndex];
    const rows = await readStage(runId, batch, blockIndex);
    const ctx = Context.current();
    let finished = 0;
    const heartbeat = () => ctx.heartbeat({ block: block.name, batch, rowsDone: ++finished });
    heartbeat();
    const result = await runBlock(block, rows, blockContext(options, ctx.cancellationSignal, heartbeat));
    return checkpoint(runId, batch, blockIndex, block.name, rows.length, result.rows, result.rejects, result.usage);
  }

  async function rejectPipelineBatch({
    runId,
    batch,
    blockIndex,
    reason,
  }: {
    runId: string;
    batch: number;
    blockIndex: number;
    reason: string;
  }): Promise<PipelineBlockSummary> {
    const done = await storedCheckpoint(runId, batch, blockIndex);
    if (done) return done;
    const { pipeline } = await loadRun(runId);
    const rows = await readStage(runId, batch, blockIndex);
    const rejects = rows.map((row) => ({ rowId: row.id, reason, data: row.data }));
    return checkpoint(runId, batch, blockIndex, pipeline.blocks[blockIndex].name, rows.length, [], rejects, { promptTokens: 0, completionTokens: 0, calls: 0 });
  }

  /** Writes the last stage's rows as JSON Lines (atomically) and marks the run. */
  async function finalizePipelineRun({
    runId,
    status,
  }: {
    runId: string;
    status: 'completed' | 'cancelled';
  }): Promise<{ outputRows: number; outputPath: string }> {
    const { pipeline, options } = await loadRun(runId);
    const finalStage = pipeline.blocks.length;
    const rows = await sql<{ row_id: string; data: Record<string, unknown> }[]>`
      select row_id, data from pipeline_rows where run_id = ${runId} and stage = ${finalStage} order by batch, position`;
    const outputPath = resolve(options.outputPath ?? join(config.paths.data_dir, 'pipelines', `${runId}.jsonl`));
    mkdirSync(dirname(outputPath), { recursive: true });
    const temp = `${outputPath}.tmp-${process.pid}`;
    writeFileSync(temp, rows.map((r) => JSON.stringify(r.data)).join('\n') + (rows.length ? '\n' : ''));
    renameSync(temp, outputPath);
    await sql`update pipeline_runs set status = ${status}, output_path = ${outputPath}, updated_at = now() where id = ${runId}`;
    return { outputRows: rows.length, outputPath };
  }

  return { preparePipelineRun, runPipelineBlock, rejectPipelineBatch, finalizePipelineRun };
}

export type PipelineActivities = ReturnType<typeof createPipelineActivities>;
