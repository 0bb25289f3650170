// Settings of a `-c` file that become workflow inputs. The workflows take unset inputs from the worker's own
// configuration, which has never seen the file given to the CLI; so what the file sets is passed along as
// inputs, and command options, merged over them with mergeDeep, win. Only keys the file itself sets are passed: a worker
// configured otherwise keeps its defaults for everything else.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { applicableTaskFields } from '../client';
import type { DatacreekConfig } from '../infra/config';

type Plain = Record<string, unknown>;

/** The parsed `-c` file (or DATACREEK_CONFIG), or null when none was given. */
export function readConfigFile(file: string | undefined): Plain | null {
  const chosen = file ?? process.env.DATACREEK_CONFIG;
  if (!chosen) return null;
  const parsed = parseYaml(readFileSync(path.resolve(chosen), 'utf8')) as unknown;
  return typeof parsed === 'object' && parsed !== null ? (parsed as Plain) : null;
}

/**
 * The input fields of a task kind that the config file sets, with the values of the validated config (the same
 * table the HTTP API applies to a request's config override).
 */
export function inputsFromConfigFile(kind: 'build' | 'curate' | 'save', file: Plain | null, config: DatacreekConfig): Plain {
  return file ? applicableTaskFields(kind, config, file) : {};
}
