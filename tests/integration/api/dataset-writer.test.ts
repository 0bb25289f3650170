// One writer per dataset, against a real Temporal server and PostgreSQL: a live holder of the writer lease makes
// every other writer (activity, API, CLI) refuse with DatasetBusy naming it, exports stay allowed, only the holder
// can give the lease back, and a holder whose workflow has closed is taken over.
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDatasetWriter, liveWriter, releaseDatasetWriter, temporalWriterIsLive } from '../../../src/activities/dataset-writer';
import { cliEnv, runCli } from '../cli/run-cli';
import { startApiHarness, terminateQuietly, type ApiHarness, type TestUser } from './harness';

let h: ApiHarness;
let alice: TestUser;
const uid = () => Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  h = await startApiHarness();
  alice = await h.createUser('writer-alice');
});
afterAll(async () => {
  await h?.close();
});

/** A workflow that stays open (no worker serves its task queue): a live holder, as far as Temporal can tell. */
async function openWorkflow(workflowId: string): Promise<string> {
  const handle = await h.temporal.workflow.start('curateDataset', { taskQueue: `no-worker-${uid()}`, workflowId, args: [{}] });
  return handle.firstExecutionRunId;
}

describe('the dataset writer lease', () => {
  it('refuses other writers with DatasetBusy while the holder runs, allows exports, and is taken over once the holder has closed', async () => {
    const datasetId = `lease-${uid()}`;
    expect((await h.call('POST', '/v1/datasets', { key: alice.key, json: { id: datasetId } })).status).toBe(201);
    const isLive = temporalWriterIsLive(h.temporal);
    const holderId = `curate-${datasetId}-holder`;
    const holderRun = await openWorkflow(holderId);
    try {
      await claimDatasetWriter(h.database.sql, { datasetId, taskId: holderId, runId: holderRun, kind: 'curate' }, isLive);
      // The same task claiming again (a retried activity) is no conflict.
      await claimDatasetWriter(h.database.sql, { datasetId, taskId: holderId, runId: holderRun, kind: 'curate' }, isLive);
      expect(await liveWriter(h.database.sql, datasetId, isLive)).toMatchObject({ taskId: holderId, kind: 'curate' });

      // Another workflow's first activity.
      const refusal = await claimDatasetWriter(h.database.sql, { datasetId, taskId: `build-${datasetId}`, runId: 'other-run', kind: 'build' }, isLive).then(
        () => undefined,
        (err) => err,
      );
      expect(refusal).toBeInstanceOf(ApplicationFailure);
      expect(refusal).toMatchObject({ type: 'DatasetBusy', nonRetryable: true });
      expect(refusal.message).toContain(holderId);

      // The API answers 409 at once, for every writing task and for a deletion.
      for (const kind of ['build', 'curate', 'ingest'] as const) {
        const body = kind === 'build' ? { datasetId, target: 5 } : kind === 'curate' ? { datasetId } : { datasetId, items: [{ url: 'https://example.org/a' }] };
        const res = await h.call('POST', `/v1/tasks/${kind}`, { key: alice.key, json: body });
        expect(res.status, kind).toBe(409);
        expect(res.body.error).toMatchObject({ code: 'DatasetBusy', message: expect.stringContaining(holderId), hint: expect.stringContaining(holderId) });
      }
      const deletion = await h.call('DELETE', `/v1/datasets/${datasetId}`, { key: alice.key });
      expect(deletion.status).toBe(409);
      expect(deletion.body.error.code).toBe('DatasetBusy');
      // An export reads a snapshot and is never refused.
      const save = await h.call('POST', '/v1/tasks/save', { key: alice.key, json: { datasetId } });
      expect(save.status).toBe(202);
      await terminateQuietly(h.temporal, save.body.taskId);

      // The CLI refuses with exit code 5 and the same words.
      const cli = await runCli(['curate', '--dataset', datasetId], cliEnv(h.config));
      expect(cli.code, cli.stderr).toBe(5);
      expect(cli.stderr).toContain(holderId);

      // Only the holder gives the lease back.
      await releaseDatasetWriter(h.database.sql, { datasetId, taskId: `build-${datasetId}`, runId: 'other-run' });
      expect(await liveWriter(h.database.sql, datasetId, isLive)).toMatchObject({ taskId: holderId });
    } finally {
      await terminateQuietly(h.temporal, holderId);
    }

    // The holder closed without giving the lease back: it is stale, and the next writer takes it over.
    expect(await liveWriter(h.database.sql, datasetId, isLive)).toBeUndefined();
    const nextId = `ingest-${datasetId}-next`;
    const nextRun = await openWorkflow(nextId);
    try {
      await claimDatasetWriter(h.database.sql, { datasetId, taskId: nextId, runId: nextRun, kind: 'ingest' }, isLive);
      expect(await liveWriter(h.database.sql, datasetId, isLive)).toMatchObject({ taskId: nextId, kind: 'ingest' });
      await releaseDatasetWriter(h.database.sql, { datasetId, taskId: nextId, runId: nextRun });
      const [row] = await h.database.sql`select writer_task_id from datasets where id = ${datasetId}`;
      expect(row.writer_task_id).toBeNull();
    } finally {
      await terminateQuietly(h.temporal, nextId);
    }
    expect((await h.call('DELETE', `/v1/datasets/${datasetId}`, { key: alice.key })).status).toBe(200);
  });
});
