// Following a runPipeline workflow until it ends, with the same progress bar library and style as `datacreek
// build`: one step per block per batch, the current block and its rows in/out, and rejects. Ctrl-C detaches;
// the run goes on in Temporal.
import { Presets, SingleBar } from 'cli-progress';
import type { Client } from '@temporalio/client';
import type { PipelineProgress } from '../workflows/pipeline-input';
import { describeWorkflowFailure, isCancelled, queryProgress, type FailureView } from '../client';

export type PipelineOutcome =
  | { kind: 'completed'; progress: PipelineProgress }
  | { kind: 'cancelled' }
  | { kind: 'failed'; failure: FailureView }
  | { kind: 'detached'; progress?: PipelineProgress };

/** `block 3/11 gen_knowledge · rows 40→112 · rejected 9` for the block most batches are at. */
export function pipelineLine(progress: PipelineProgress): string {
  const current = progress.blocks.findIndex((b) => b.batchesDone < progress.batches);
  const index = current < 0 ? progress.blocks.length - 1 : current;
  const block = progress.blocks[index];
  const rejected = Object.values(progress.rejected).reduce((a, b) => a + b, 0);
  const state = progress.status === 'paused' ? ' (paused)' : '';
  return `block ${index + 1}/${progress.blocks.length} ${block?.name ?? ''} · rows ${block?.rowsIn ?? 0}→${block?.rowsOut ?? 0} · rejected ${rejected} · LLM calls ${progress.llmCalls}${state}`;
}

export async function followPipeline(client: Client, workflowId: string, display: 'bar' | 'lines' | 'none', pollMs = 1_000): Promise<PipelineOutcome> {
  const handle = client.workflow.getHandle(workflowId);
  let settled: { ok: true; value: PipelineProgress } | { ok: false; error: unknown } | undefined;
  const finished = handle.result().then(
    (value: PipelineProgress) => void (settled = { ok: true, value }),
    (error: unknown) => void (settled = { ok: false, error }),
  );
  let detached = false;
  let detach = () => {};
  const interrupted = new Promise<void>((resolve) => {
    detach = () => {
      detached = true;
      resolve();
    };
  });
  process.once('SIGINT', detach);
  const bar =
    display === 'bar'
      ? new SingleBar({ format: ' {bar} {percentage}% | {value}/{total} block runs | {line}', hideCursor: true }, Presets.shades_classic)
      : undefined;
  let last: PipelineProgress | undefined;
  let lastLine = '';
  try {
    while (!settled && !detached) {
      const progress = await queryProgress(client, workflowId, 3_000);
      if (progress) {
        last = progress as unknown as PipelineProgress;
        const total = last.batches * last.blocks.length;
        const done = last.blocks.reduce((sum, b) => sum + b.batchesDone, 0);
        const line = pipelineLine(last);
        if (bar) {
          if (!bar.isActive) bar.start(Math.max(total, 1), done, { line });
          bar.setTotal(Math.max(total, 1));
          bar.update(done, { line });
        } else if (display === 'lines' && line !== lastLine) console.error(`${done}/${total} ${line}`);
        lastLine = line;
      }
      await Promise.race([finished, interrupted, new Promise((resolve) => setTimeout(resolve, pollMs))]);
    }
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', detach);
  }
  if (detached || !settled) return { kind: 'detached', progress: last };
  if (settled.ok) return { kind: 'completed', progress: settled.value };
  if (isCancelled(settled.error)) return { kind: 'cancelled' };
  return { kind: 'failed', failure: describeWorkflowFailure(settled.error) };
}
