// The datacreek command line. Each command lives in its own module; this file only wires them up.
// Command modules load heavy libraries (worker, LanceDB, the formats library …) inside their actions, so
// `datacreek --help` and the file commands start without them.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../infra/config';
import { registerBuildCommands } from './commands/build';
import { registerCurateCommand } from './commands/curate';
import { registerDatasetCommands } from './commands/datasets';
import { registerDevCommands } from './commands/dev';
import { registerExportCommand } from './commands/export';
import { registerFormatCommands } from './commands/formats';
import { registerIngestCommand } from './commands/ingest';
import { registerPipelineCommands } from './commands/pipeline';
import { registerSearchCommand } from './commands/search';
import { registerServeCommand } from './commands/serve';
import { registerSystemCheckCommand } from './commands/system-check';
import { registerTaskCommands } from './commands/tasks';
import { registerUserCommands } from './commands/users';
import { OperationError } from '../client';
import { cliErrorOf } from './operation-errors';
import { EXIT, CliError } from './output';

const program = new Command('datacreek')
  .description('Build fine-tuning datasets for LLMs as durable Temporal workflows.')
  .option('-c, --config <file>', 'a YAML config layered over configs/config.yaml')
  .option('--json', 'print machine-readable JSON instead of tables')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

// In the order of the flow: stack, ingest, create / build / curate, save, follow and steer, inspect, tools.
registerDevCommands(program);
registerServeCommand(program);
registerIngestCommand(program);
registerBuildCommands(program);
registerCurateCommand(program);
registerPipelineCommands(program);
registerExportCommand(program);
registerTaskCommands(program);
registerDatasetCommands(program);
registerSearchCommand(program);
registerFormatCommands(program);
registerUserCommands(program);
registerSystemCheckCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (thrown) {
  // An operation's error becomes the CLI's own (exit code and hint) before it is reported.
  const err = thrown instanceof OperationError ? cliErrorOf(thrown) : thrown;
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : EXIT.usage);
  }
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(EXIT.usage);
  }
  if (err instanceof CliError) {
    console.error(`error: ${err.message}${err.hint ? `\nhint: ${err.hint}` : ''}`);
    process.exit(err.exitCode);
  }
  console.error(`error: ${(err as Error).message ?? String(err)}`);
  process.exit(EXIT.failure);
}
