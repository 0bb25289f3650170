// `datacreek serve`: the HTTP API alone, against the configured Temporal server and database (a worker runs
// elsewhere: `datacreek worker`). `datacreek dev` starts the same API as part of the local stack.
import type { Command } from 'commander';
import { databaseUrlOf } from '../../infra/db';
import { configFor } from '../output';
import { waitForStop } from './dev';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API (api.host:api.port; OpenAPI at /openapi.json, docs at /docs) until Ctrl-C')
    .action(async (_opts, cmd: Command) => {
      const config = configFor(cmd);
      const { startApiServer } = await import('../../api');
      const api = await startApiServer(config, { databaseUrl: databaseUrlOf(config) });
      console.log(
        `[serve] API: ${api.url} (docs ${api.url}/docs); Temporal ${config.temporal.address}, task queue "${config.temporal.task_queue}" (Ctrl-C to stop)`,
      );
      await waitForStop(async () => {
        console.log('[serve] stopping …');
        await api.close();
        console.log('[serve] stopped');
      });
    });
}
