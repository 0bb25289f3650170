// Replay history files: `tests/replay/histories/<workflowType>--<case>.json`, each
// `{ "workflowId": "...", "history": <the history as proto-JSON> }`, exported from a real run. The replay test
// (tests/integration/replay/replay.test.ts) replays every one of them against today's workflow code, so a change
// that would break a running workflow fails CI instead of a deploy.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { PROJECT_ROOT } from '../../src/infra/config/load';
import { historyFromJson, historyToJson, type History } from './history-json';

export const HISTORIES_DIR = path.join(PROJECT_ROOT, 'tests', 'replay', 'histories');

/** Case names end up in file names: keep them to a safe alphabet. */
const CASE_NAME = /^[a-z0-9][a-z0-9.-]*$/;

/** Refuses a case name that would make a poor file name, naming the fix. */
export function checkCaseName(name: string): void {
  if (!CASE_NAME.test(name)) throw new Error(`--name "${name}": use lowercase letters, digits, "." and "-" (e.g. v1-pause-resume)`);
}

export interface ReplayHistoryFile {
  workflowId: string;
  history: unknown;
}

export interface LoadedHistory {
  file: string;
  workflowId: string;
  history: History;
}

/** The workflow type a history started, read from its first event. */
export function workflowTypeOf(history: History): string {
  const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (!type) throw new Error('the history does not begin with a WorkflowExecutionStarted event');
  return type;
}

/**
 * Fetches one run's history and writes it as `<workflowType>--<name>.json`; returns the file's path.
 * Without `runId`, the latest run of `workflowId`.
 */
export async function exportHistory(client: Client, opts: { workflowId: string; runId?: string; name: string; dir?: string }): Promise<string> {
  checkCaseName(opts.name);
  const history = await client.workflow.getHandle(opts.workflowId, opts.runId).fetchHistory();
  const file = path.join(opts.dir ?? HISTORIES_DIR, `${workflowTypeOf(history)}--${opts.name}.json`);
  const content: ReplayHistoryFile = { workflowId: opts.workflowId, history: historyToJson(history) };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(content, null, 1)}\n`);
  return file;
}

/**
 * The runs of a workflow chain from `firstRunId` on, following continue-as-new: the first run is exported as
 * `<name>`, the next ones as `<name>-run2`, `<name>-run3`, …  With `middleRuns: false` only the first, the second
 * and the last run are (the runs between start and end like the second). Returns the files written.
 */
export async function exportRunChain(
  client: Client,
  opts: { workflowId: string; firstRunId: string; name: string; dir?: string; middleRuns?: boolean },
): Promise<string[]> {
  const runIds: string[] = [];
  for (let runId: string | undefined = opts.firstRunId; runId; ) {
    runIds.push(runId);
    const events: History['events'] = (await client.workflow.getHandle(opts.workflowId, runId).fetchHistory()).events ?? [];
    runId = events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  const files: string[] = [];
  for (const [i, runId] of runIds.entries()) {
    if (opts.middleRuns === false && i > 1 && i < runIds.length - 1) continue;
    const name = i === 0 ? opts.name : `${opts.name}-run${i + 1}`;
    files.push(await exportHistory(client, { workflowId: opts.workflowId, runId, name, dir: opts.dir }));
  }
  return files;
}

/** Every history file in `dir`, parsed; a file that is not a valid history fails naming the file. */
export function loadHistories(dir = HISTORIES_DIR): LoadedHistory[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      try {
        const parsed = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as ReplayHistoryFile;
        if (typeof parsed.workflowId !== 'string' || !parsed.history) throw new Error('expected { "workflowId": string, "history": {…} }');
        return { file, workflowId: parsed.workflowId, history: historyFromJson(parsed.history) };
      } catch (err) {
        throw new Error(`${path.join(dir, file)} is not a replay history file: ${(err as Error).message}`);
      }
    });
}
