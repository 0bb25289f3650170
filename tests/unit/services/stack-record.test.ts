// The record `datacreek dev` keeps of what it started, on real processes: a server left behind by a dead owner
// is stopped by `dev --stop` (stopRecordedStack), a live process that is not the recorded program is left
// alone, and the record is gone afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, isTemporalDevServer, readStackRecord, stackRecordPath, stopRecordedStack, writeStackRecord } from '../../../src/infra/services/stack-record';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dc-stack-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** A long sleep whose command line reads like the given program's (argv[0] set with `exec -a`). */
function fakeProcess(commandLine: string): ChildProcess {
  const child = spawn('bash', ['-c', `exec -a "${commandLine}" sleep 120`], { stdio: 'ignore' });
  children.push(child);
  return child;
}

async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('the dev stack record', () => {
  it('stops the Temporal server a dead owner left running, and removes the record', async () => {
    const temporal = fakeProcess('temporal server start-dev');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isTemporalDevServer(temporal.pid!)).toBe(true);
    writeStackRecord(dataDir, {
      ownerPid: await deadPid(),
      startedAt: new Date().toISOString(),
      temporal: { pid: temporal.pid!, address: '127.0.0.1:1', uiPort: 2 },
    });
    expect(readStackRecord(dataDir)?.temporal?.pid).toBe(temporal.pid);

    const stopped = await stopRecordedStack(dataDir, readStackRecord(dataDir)!);
    expect(stopped).toEqual([expect.stringMatching(new RegExp(`^Temporal dev server \\(pid ${temporal.pid}`))]);
    expect(isAlive(temporal.pid!)).toBe(false);
    expect(readStackRecord(dataDir)).toBeNull();
  }, 30_000);

  it('never stops a process that only has the recorded number', async () => {
    const other = fakeProcess('some-other-program');
    await new Promise((resolve) => setTimeout(resolve, 200));
    writeStackRecord(dataDir, {
      ownerPid: await deadPid(),
      startedAt: new Date().toISOString(),
      temporal: { pid: other.pid!, address: '127.0.0.1:1', uiPort: 2 },
    });
    expect(await stopRecordedStack(dataDir, readStackRecord(dataDir)!)).toEqual([]);
    expect(isAlive(other.pid!)).toBe(true);
    expect(readStackRecord(dataDir)).toBeNull();
    expect(stackRecordPath(dataDir)).toBe(path.join(dataDir, 'dev-stack.json'));
  }, 30_000);
});
