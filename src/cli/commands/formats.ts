// Dataset files without a server: `convert` (an existing dataset → a training format), `validate` (will this file
// load in its trainer? every problem with its line) and `goals` (which record types and formats serve which
// training method).
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { ConvertResult } from '../../domain/formats';
import { TRAINING_GOAL_NAMES, TRAINING_GOALS, type TrainingGoal } from '../../domain/formats/training-goals';
import { DATASET_SHAPES, type ExportFormat } from '../../domain/formats/types';
import { DATASET_TYPES, type DatasetType } from '../../domain/records';
import { CliError, EXIT, globalOptions, print, table } from '../output';

/** The trainer dialect `validate` knows besides the export formats. */
const AXOLOTL_CHAT_TEMPLATE = 'axolotl-chat-template';

export function registerFormatCommands(program: Command): void {
  program
    .command('convert')
    .description('convert an existing dataset file (JSON, JSONL, CSV, Parquet; Alpaca, ShareGPT, OpenAI messages …) to a training format')
    .argument('<input>', 'the dataset file')
    .requiredOption('--to <format>', 'jsonl, alpaca, openai-chat (chatml), sharegpt, dpo, kto, text, csv or hf')
    .option('-o, --output <path>', 'write here (a file; for hf a directory); default: standard output')
    .addOption(new Option('--from <shape>', 'how the input rows are laid out (default: detected)').choices(DATASET_SHAPES))
    .option('--system-prompt <text>', 'a system message for chat formats')
    .option('--keep-metadata', "carry each row's metadata, so converting back restores it exactly")
    .action(async (input: string, opts, cmd: Command) => {
      const { convertFile, resolveExportFormat, DatasetFormatError, ExportFormatError } = await import('../../domain/formats');
      const to = formatArgument(() => resolveExportFormat(opts.to), ExportFormatError);
      if (to === 'hf' && !opts.output) {
        throw new CliError(
          'the hf format is a directory of Parquet files, not a stream',
          EXIT.usage,
          'Give the directory to create with -o, e.g. -o ./out/mydata',
        );
      }
      const bytes = await readInput(input);
      const output = opts.output ? path.resolve(opts.output) : undefined;
      const convertOptions = {
        import: opts.from ? { shape: opts.from } : undefined,
        systemPrompt: opts.systemPrompt,
        keepMetadata: Boolean(opts.keepMetadata),
        ...(to === 'hf' && output ? { outDir: path.dirname(output), baseName: path.basename(output) } : {}),
      };
      let result: ConvertResult;
      try {
        result = await convertFile({ fileName: path.basename(input), bytes }, to, convertOptions);
      } catch (err) {
        if (err instanceof DatasetFormatError || err instanceof ExportFormatError) throw new CliError(err.message, EXIT.failure);
        throw err;
      }
      const imported = result.import;
      let files: string[] = [];
      if (result.written) {
        files = result.written.files.map((f) => f.path);
      } else if (result.output && output) {
        await mkdir(path.dirname(output), { recursive: true });
        await writeFile(output, result.output.bytes);
        files = [output];
      } else if (result.output) {
        process.stdout.write(result.output.bytes);
      }
      for (const p of imported.problems) console.error(`${problemPlace(p)}: ${p.message}`);
      const summary = {
        input,
        shape: imported.shape,
        format: to,
        records: imported.records.length,
        skipped: imported.skipped.length,
        problems: imported.problems,
        files,
      };
      const human =
        `${summary.records} records converted from ${imported.shape} to ${to}` +
        `${summary.skipped ? `, ${summary.skipped} rows skipped` : ''}${imported.problems.length ? `, ${imported.problems.length} rows with problems (listed above)` : ''}` +
        (files.length ? `\n${files.join('\n')}` : '');
      // Without -o the converted rows own standard output, so the summary goes to standard error.
      if (output) print(cmd, human, summary);
      else console.error(globalOptions(cmd).json ? JSON.stringify(summary, null, 2) : human);
      if (imported.problems.length) process.exitCode = EXIT.partial;
    });

  program
    .command('validate')
    .description('check that a file loads in the trainer its format is meant for; prints every problem with its line (exit 3 when there are problems)')
    .argument('<file>', 'a JSONL / JSON / CSV file, or an hf export directory')
    .requiredOption(
      '-f, --format <format>',
      `the format to check against: jsonl, alpaca, openai-chat (chatml), sharegpt, dpo, kto, text, csv, hf or ${AXOLOTL_CHAT_TEMPLATE}`,
    )
    .action(async (file: string, opts: { format: string }, cmd: Command) => {
      const { validateExport, resolveExportFormat, ExportFormatError } = await import('../../domain/formats');
      const format = opts.format === AXOLOTL_CHAT_TEMPLATE ? AXOLOTL_CHAT_TEMPLATE : formatArgument(() => resolveExportFormat(opts.format), ExportFormatError);
      await requireInput(file, format === 'hf' ? 'directory' : 'file');
      const result = await validateExport({ path: file }, format);
      const lines = result.problems.map((p) => `${p.line > 0 ? `line ${p.line}` : file}: ${p.message}`);
      const verdict = result.ok
        ? `ok: ${result.records} rows of ${file} are valid ${format}`
        : `${result.problems.length} problem(s) in ${file} (${result.records} rows read) for ${format}`;
      print(cmd, [...lines, verdict].join('\n'), { file, format, ...result });
      if (!result.ok) process.exitCode = EXIT.partial;
    });

  program
    .command('goals')
    .description('which record types and export formats serve which training method (SFT, DPO, KTO, GRPO …)')
    .addOption(new Option('--goal <goal>', 'only this training goal').choices(TRAINING_GOAL_NAMES))
    .addOption(new Option('--type <type>', 'only the goals this record type serves').choices(DATASET_TYPES))
    .action(async (opts: { goal?: TrainingGoal; type?: DatasetType }, cmd: Command) => {
      const goals = Object.values(TRAINING_GOALS).filter((g) => (!opts.goal || g.goal === opts.goal) && (!opts.type || g.types.includes(opts.type)));
      const rows = goals.map((g) => ({ goal: g.goal, title: g.title, types: g.types.join(', '), formats: g.formats.join(', ') }));
      const why = goals.map((g) => `${g.goal}: ${g.why}`).join('\n');
      print(cmd, goals.length ? `${table(rows)}\n\n${why}` : '(no goal matches)', goals);
    });
}

/** Turns the formats library's "not a format" error into a usage error naming the flag. */
function formatArgument(resolve: () => ExportFormat, errorType: new (...args: never[]) => Error): ExportFormat {
  try {
    return resolve();
  } catch (err) {
    if (err instanceof errorType) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

async function readInput(file: string): Promise<Uint8Array> {
  await requireInput(file, 'file');
  return readFile(file);
}

/** A missing input is "not found" (exit 4); a directory where a file belongs (or the reverse) is a usage error. */
async function requireInput(file: string, kind: 'file' | 'directory'): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(file)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${file}: no such file or directory`, EXIT.notFound, 'Check the path.');
    throw err;
  }
  if (kind === 'file' && isDirectory) throw new CliError(`${file} is a directory`, EXIT.usage, 'Give a file; only the hf format is a directory.');
  if (kind === 'directory' && !isDirectory)
    throw new CliError(`${file} is a file`, EXIT.usage, 'An hf export is the directory holding the Parquet files and README.md.');
}

function problemPlace(p: { line?: number; index?: number }): string {
  if (p.line !== undefined) return `line ${p.line}`;
  if (p.index !== undefined) return `row ${p.index + 1}`;
  return 'file';
}
