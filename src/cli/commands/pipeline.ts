// `datacreek pipeline validate|run|schema`: YAML block pipelines (InstructLab's format plus datacreek's
// blocks). `validate` and `schema` need no services; `run` starts the runPipeline workflow and follows it.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { positiveInt } from '../options';
import { CliError, configFor, EXIT, globalOptions, print } from '../output';

interface InputFlags {
  dataset?: string;
  from?: 'chunks' | 'seeds' | 'all';
  input?: string;
  taxonomy?: string;
  docs?: string;
  columns?: string;
  numInstructions?: number;
}

function addInputOptions(command: Command): Command {
  return command
    .option('-d, --dataset <id>', "a dataset's chunks (as `document`) and seed records as the input rows")
    .addOption(new Option('--from <what>', 'with --dataset: which rows').choices(['chunks', 'seeds', 'all']))
    .option('-i, --input <rows.jsonl>', 'a JSON Lines file of input rows')
    .option('-t, --taxonomy <qna.yaml>', 'an InstructLab qna.yaml (knowledge or skill) as the input rows')
    .option('--docs <dir>', 'with --taxonomy: where the knowledge documents are (default: next to the qna.yaml)')
    .option('--num-instructions <n>', 'what `n: scaled` means: samples per input row', positiveInt);
}

function exclusiveInput(flags: InputFlags): void {
  const given = [flags.dataset && '--dataset', flags.input && '--input', flags.taxonomy && '--taxonomy'].filter(Boolean);
  if (given.length > 1) throw new CliError(`${given.join(' and ')} cannot be combined`, EXIT.usage, 'give one input: --dataset, --input or --taxonomy');
}

/** A path that exists, else a name in pipelines.dir. */
function pipelineSource(file: string): { path: string } | { name: string } {
  return existsSync(file) ? { path: resolve(file) } : { name: file };
}

export function registerPipelineCommands(program: Command): void {
  const pipeline = program.command('pipeline').description('YAML block pipelines: InstructLab pipeline files (version 1.0) and datacreek blocks');

  addInputOptions(
    pipeline
      .command('validate <file>')
      .description('check a pipeline file and its prompt configs before running it (no services needed)')
      .option('--columns <a,b,c>', 'the input rows have exactly these columns'),
  ).action(async (file: string, flags: InputFlags, cmd: Command) => {
    exclusiveInput(flags);
    const config = configFor(cmd);
    const { PipelineValidationError, taxonomyRows } = await import('../../domain/pipelines');
    const { resolvePipelineSource, namedPipelinePath } = await import('../../activities');
    let inputColumns: string[] | undefined = flags.columns
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    if (flags.taxonomy) inputColumns = [...new Set((await taxonomyRows(flags.taxonomy, { docsDir: flags.docs })).flatMap((r) => Object.keys(r.data)))];
    if (flags.input) {
      const { readFileSync } = await import('node:fs');
      const first = readFileSync(flags.input, 'utf8')
        .split('\n')
        .find((l) => l.trim());
      inputColumns = first ? Object.keys(JSON.parse(first)) : [];
    }
    const source = pipelineSource(file);
    try {
      const resolved = resolvePipelineSource(config, source, { inputColumns, numInstructions: flags.numInstructions });
      const lines = [
        `${'path' in source ? source.path : namedPipelinePath(config, source.name)}: valid (version ${resolved.version}, ${resolved.blocks.length} blocks)`,
        ...resolved.blocks.map((b) => `  ${b.index + 1}. ${b.name} (${b.type})`),
        ...(resolved.requiredInputColumns.length ? [`input rows need: ${resolved.requiredInputColumns.join(', ')}`] : []),
        ...resolved.warnings.map((w) => `warning: ${w}`),
      ];
      print(cmd, lines.join('\n'), {
        valid: true,
        version: resolved.version,
        blocks: resolved.blocks.map((b) => ({ name: b.name, type: b.type })),
        requiredInputColumns: resolved.requiredInputColumns,
        warnings: resolved.warnings,
      });
    } catch (error) {
      if (error instanceof PipelineValidationError) {
        if (globalOptions(cmd).json) console.log(JSON.stringify({ valid: false, issues: error.issues }, null, 2));
        throw new CliError(error.message, EXIT.usage, 'fix each problem listed, then validate again');
      }
      throw error;
    }
  });

  pipeline
    .command('schema')
    .description('print the JSON Schema of pipeline files (InstructLab v1 extended with datacreek blocks)')
    .action(async () => {
      const { publishedPipelineSchema } = await import('../../domain/pipelines');
      console.log(JSON.stringify(publishedPipelineSchema(), null, 2));
    });

  addInputOptions(
    pipeline
      .command('run <file>')
      .description('run a pipeline durably: every block of every batch is a checkpoint; failing rows are rejected with their reason')
      .option('-o, --output <file.jsonl>', 'where the output rows go (default: under paths.data_dir/pipelines/)')
      .option('--batch-size <n>', 'input rows per batch (default: pipelines.batch_size)', positiveInt)
      .option('--concurrency <n>', 'batches running at once (1-64)', positiveInt)
      .option('--model <name>', 'the model LLM blocks use (default: llm.model)')
      .option('--model-family <family>', 'prompt format for /v1/completions: merlinite, granite, mixtral, mistral, llama, blank')
      .addOption(new Option('--api <api>', 'how LLM blocks call the endpoint (default: pipelines.llm_api)').choices(['completions', 'chat']))
      .option('--detach', 'start the run and return at once'),
  ).action(async (file: string, flags: InputFlags & Record<string, any>, cmd: Command) => {
    exclusiveInput(flags);
    const config = configFor(cmd);
    const { json } = globalOptions(cmd);
    const source = pipelineSource(file);
    const input = flags.dataset
      ? { dataset: flags.dataset, ...(flags.from ? { from: flags.from } : {}) }
      : flags.input
        ? { rowsPath: resolve(flags.input) }
        : flags.taxonomy
          ? { taxonomyPath: resolve(flags.taxonomy), ...(flags.docs ? { docsDir: resolve(flags.docs) } : {}) }
          : undefined;
    const { pipelineRunInputSchema } = await import('../../workflows/pipeline-input');
    const { pipelineWorkflowId, startWorkflow, TASK_WORKFLOW_TYPES, uniqueSuffix } = await import('../../client');
    const parsed = pipelineRunInputSchema.safeParse(
      Object.fromEntries(
        Object.entries({
          pipeline: source,
          input,
          batchSize: flags.batchSize,
          concurrency: flags.concurrency,
          model: flags.model,
          modelFamily: flags.modelFamily,
          llmApi: flags.api,
          numInstructions: flags.numInstructions,
          outputPath: flags.output ? resolve(flags.output) : undefined,
        }).filter(([, v]) => v !== undefined),
      ),
    );
    if (!parsed.success)
      throw new CliError(
        `invalid options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        EXIT.usage,
        'see datacreek pipeline run --help',
      );
    // Validate here first, so a bad file is reported before anything starts.
    const { resolvePipelineSource } = await import('../../activities');
    const { PipelineValidationError } = await import('../../domain/pipelines');
    try {
      resolvePipelineSource(config, parsed.data.pipeline, { numInstructions: flags.numInstructions ?? 0 });
    } catch (error) {
      if (error instanceof PipelineValidationError) throw new CliError(error.message, EXIT.usage, 'run `datacreek pipeline validate` after fixing it');
      throw error;
    }
    const workflowId = pipelineWorkflowId(basename(file).replace(/\.ya?ml$/, ''), uniqueSuffix());
    const { openTemporal } = await import('../connect');
    const client = await openTemporal(config);
    try {
      await startWorkflow(client, config, TASK_WORKFLOW_TYPES.pipeline, workflowId, parsed.data);
      if (flags.detach) {
        print(cmd, `started ${workflowId}\nprogress: datacreek status ${workflowId}`, { workflowId, status: 'running' });
        return;
      }
      if (!json) console.error(`started ${workflowId} (Ctrl-C detaches; the run keeps going)`);
      const { followPipeline, pipelineLine } = await import('../follow-pipeline');
      const outcome = await followPipeline(client, workflowId, json ? 'none' : process.stderr.isTTY ? 'bar' : 'lines');
      if (outcome.kind === 'completed') {
        const p = outcome.progress;
        const rejects = Object.entries(p.rejected).map(([reason, n]) => `  ${reason}: ${n}`);
        print(
          cmd,
          [
            `completed ${workflowId}: ${p.inputRows} input rows → ${p.outputRows} output rows in ${p.outputPath}`,
            pipelineLine(p),
            ...(rejects.length ? ['rejected:', ...rejects] : []),
            ...p.warnings.map((w) => `warning: ${w}`),
          ].join('\n'),
          { workflowId, ...p },
        );
      } else if (outcome.kind === 'detached') {
        print(cmd, `detached from ${workflowId}; it keeps running`, { workflowId, status: 'running' });
      } else if (outcome.kind === 'cancelled') {
        throw new CliError(`${workflowId} was cancelled`, EXIT.failure);
      } else {
        throw new CliError(outcome.failure.message, EXIT.failure, outcome.failure.hint);
      }
    } finally {
      await client.connection.close().catch(() => {});
    }
  });
}
