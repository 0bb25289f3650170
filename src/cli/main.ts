// The datacreek command line. Each command lives in its own module; this file only wires them up.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load';
import { registerDevCommands } from './commands/dev';
import { registerIngestCommand } from './commands/ingest';
import { EXIT, CliError } from './output';

const program = new Command('datacreek')
  .description('Build fine-tuning datasets for LLMs as durable Temporal workflows.')
  .option('-c, --config <file>', 'a YAML config layered over configs/config.yaml')
  .option('--json', 'print machine-readable JSON instead of tables')
  .showHelpAfterError()
  .exitOverride();

registerDevCommands(program);
registerIngestCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
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
