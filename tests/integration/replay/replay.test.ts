// Replays every committed history in tests/replay/histories against today's workflow code. Each file is a real run
// recorded from an earlier version (scripts/record-histories.ts, scripts/export-history.ts); a change to a
// workflow's command sequence without a patched() gate makes its old histories fail here with a nondeterminism
// error, instead of failing the builds that are running when the change is deployed (docs/versioning.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../../src/worker/worker';
import { HISTORIES_DIR, loadHistories, workflowTypeOf, type LoadedHistory } from '../../../testkit/replay/history-file';

const histories: LoadedHistory[] = loadHistories();

/** The workflow types the worker registers: the names src/workflows/index.ts exports. */
function registeredWorkflowTypes(): string[] {
  const index = readFileSync(path.join(path.dirname(WORKFLOWS_PATH), 'index.ts'), 'utf8');
  return [...index.matchAll(/^export \{ (\w+) \} from/gm)].map((m) => m[1]).sort();
}
/** Each file's replay error, if any; filled once, by one replay worker (one workflow bundle for all files). */
const outcomes = new Map<string, Error | undefined>();

beforeAll(async () => {
  // The replay worker logs each start and stop at info; only problems matter here.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const replay = Worker.runReplayHistories(
    { workflowsPath: WORKFLOWS_PATH },
    histories.map(({ workflowId, history }) => ({ workflowId, history })),
  );
  let i = 0;
  for await (const result of replay) outcomes.set(histories[i++].file, result.error);
}, 180_000);

describe(`replay of ${HISTORIES_DIR}`, () => {
  it('holds histories of every workflow type the worker runs', () => {
    const types = new Set(histories.map((h) => workflowTypeOf(h.history)));
    expect([...types].sort()).toEqual(registeredWorkflowTypes());
  });

  it.each(histories.map((h) => h.file))('%s replays without nondeterminism', (file) => {
    expect(outcomes.has(file), `${file} was not replayed`).toBe(true);
    const error = outcomes.get(file);
    expect(error, `${file}: ${error?.name}: ${error?.message}`).toBeUndefined();
  });
});
