// How the CLI talks to people and scripts: tables for people, --json for scripts, exit codes that mean something.
import type { Command } from 'commander';
import { loadConfig } from '../infra/config';
import type { DatacreekConfig } from '../infra/config';

export const EXIT = {
  ok: 0,
  /** Something failed (a workflow failed, a server could not be reached). */
  failure: 1,
  /** The command, its arguments or the configuration were wrong. */
  usage: 2,
  /** The work finished, but part of it failed (e.g. some files could not be ingested). */
  partial: 3,
  /** The thing named does not exist. */
  notFound: 4,
  /** Another task is writing the dataset (one writer per dataset); the message names it. Try again when it ends. */
  busy: 5,
} as const;

/** The exit code of a workflow that failed for `code` (the failure type its activity gave). */
export function exitCodeOfFailure(code: string): number {
  return code === 'DatasetBusy' ? EXIT.busy : EXIT.failure;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface GlobalOptions {
  config?: string;
  json?: boolean;
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function configFor(cmd: Command, overrides?: Record<string, unknown>): DatacreekConfig {
  return loadConfig({ file: globalOptions(cmd).config, overrides });
}

/** Left-aligned columns sized to their content. */
export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0]);
  const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

export function print(cmd: Command, human: string, machine: unknown): void {
  if (globalOptions(cmd).json) console.log(JSON.stringify(machine, null, 2));
  else console.log(human);
}
