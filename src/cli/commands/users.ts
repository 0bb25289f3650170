// `datacreek users create NAME`: a user of the HTTP API and their first API key, made directly in PostgreSQL
// (whoever runs the CLI on the server is trusted; over HTTP the same needs the admin token).
import type { Command } from 'commander';
import { withDatabase } from '../connect';
import { CliError, configFor, EXIT, print } from '../output';

export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('users of the HTTP API');

  users
    .command('create')
    .description('create a user and print their API key (shown once: it cannot be recovered)')
    .argument('<name>', 'a name people recognise, e.g. alice')
    .option('--admin', 'may create other users over HTTP')
    .action(async (name: string, opts: { admin?: boolean }, cmd: Command) => {
      if (!name.trim()) throw new CliError('the user name is empty', EXIT.usage, 'Give a name, e.g. datacreek users create alice');
      const config = configFor(cmd);
      const { createUserWithKey } = await import('../../infra/auth');
      const created = await withDatabase(config, (database) => createUserWithKey(database, name, { isAdmin: Boolean(opts.admin) }));
      const apiUrl = `http://${config.api.host}:${config.api.port}`;
      print(
        cmd,
        [
          `created user ${created.user.id} (${created.user.name}${created.user.isAdmin ? ', admin' : ''})`,
          `API key (shown once; store it now): ${created.apiKey.key}`,
          `try it: curl -H "X-API-Key: ${created.apiKey.key}" ${apiUrl}/v1/datasets`,
        ].join('\n'),
        {
          user: { ...created.user, createdAt: created.user.createdAt.toISOString() },
          apiKey: { id: created.apiKey.id, key: created.apiKey.key, prefix: created.apiKey.prefix },
        },
      );
    });
}
