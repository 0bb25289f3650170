// `datacreek system-check`: is everything datacreek needs reachable and set up? One line per service, ok or FAIL
// with what to fix; exit 1 when anything fails (a system check of the whole stack).
import type { Command } from 'commander';
import { configFor, EXIT, print } from '../output';

export function registerSystemCheckCommand(program: Command): void {
  program
    .command('system-check')
    .description('check Temporal, workers, PostgreSQL (and its migrations), the LLM and the embedding endpoint')
    .action(async (_opts, cmd: Command) => {
      const config = configFor(cmd);
      const { runSystemChecks } = await import('../system-checks');
      const checks = await runSystemChecks(config);
      const width = Math.max(...checks.map((c) => c.name.length));
      const lines = checks.flatMap((c) => [
        `${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`,
        ...(c.fix && c.status !== 'ok' ? [`${' '.repeat(6 + width)}  fix: ${c.fix}`] : []),
      ]);
      const ok = checks.every((c) => c.status !== 'FAIL');
      print(cmd, lines.join('\n'), { ok, checks });
      if (!ok) process.exitCode = EXIT.failure;
    });
}
