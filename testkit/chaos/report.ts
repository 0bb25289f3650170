// The chaos suite's figures: each test appends what it did and what it found to .data/chaos-report.json (not
// committed); `npm run chaos:report` (scripts/chaos-report.ts) renders the latest entry of each test as Markdown.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/infra/config/load';

export const CHAOS_REPORT_PATH = path.join(PROJECT_ROOT, '.data', 'chaos-report.json');

export interface ChaosFigures {
  /** Stable name of the test, e.g. "kill-worker"; the report keeps the latest entry per name. */
  test: string;
  /** One line saying what the test did to the system. */
  scenario: string;
  recordedAt: string;
  durationMs: number;
  /** The seed of the random moments, so a failing run can be replayed (CHAOS_SEED=…). */
  seed?: number;
  kills?: number;
  /** Activity attempts that failed or timed out and ran again (from the workflow histories). */
  activityRetries?: number;
  workerRestarts?: number;
  temporalRestarts?: number;
  postgresRestarts?: number;
  /** Faults the test LLM server injected, by kind, from its own stats. */
  faultsInjected?: Record<string, number>;
  llmRequests?: number;
  /** Most requests the LLM server served at once, and the worker's configured per-endpoint limit. */
  peakInFlight?: number;
  concurrencyLimit?: number;
  badInputsTried?: number;
  /** Bad inputs refused with their own error code and a message naming the input. */
  badInputsRefusedClearly?: number;
  target?: number;
  accepted?: number;
  parseFailures?: number;
  recordsLost: number;
  duplicates: number;
  /** Errors made to carry a secret (an LLM gateway quoting the key back): what the secret hunt had to catch. */
  secretLeaksProvoked?: number;
  historiesScanned?: number;
  logBytesScanned?: number;
  secretsFound?: number;
  /** What happened when, in words (kill moments, restarts), for the log and the report. */
  events?: string[];
}

export interface ChaosReport {
  entries: ChaosFigures[];
}

export function readChaosReport(file = CHAOS_REPORT_PATH): ChaosReport {
  if (!existsSync(file)) return { entries: [] };
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ChaosReport>;
  return { entries: Array.isArray(parsed.entries) ? parsed.entries : [] };
}

/** Appends one test's figures (written to a temporary file and renamed, so a crash never leaves half a report). */
export function recordChaosFigures(figures: Omit<ChaosFigures, 'recordedAt'>, file = CHAOS_REPORT_PATH): ChaosFigures {
  const entry: ChaosFigures = { ...figures, recordedAt: new Date().toISOString() };
  const report = readChaosReport(file);
  report.entries.push(entry);
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(temporary, file);
  return entry;
}

/** The latest entry of each test, in the order the tests first appear. */
export function latestEntries(report: ChaosReport): ChaosFigures[] {
  const latest = new Map<string, ChaosFigures>();
  for (const entry of report.entries) {
    const current = latest.get(entry.test);
    if (!current || current.recordedAt <= entry.recordedAt) latest.set(entry.test, entry);
  }
  return [...latest.values()];
}
