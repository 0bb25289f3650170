// Stands in for `buildDataset` on the task-controls test's own task queue: the same workflow name and the same
// message contract (src/workflows/messages.ts), with a fixed accepted count and no activities, so the API's
// live controls (progress, pause, resume, setTarget, setConcurrency, cancel) are tested against a real
// Temporal server without an LLM.
import { condition, setHandler } from '@temporalio/workflow';
import type { BuildInput, BuildProgress } from '../../../src/workflows/build-input';
import { pauseSignal, progressQuery, resumeSignal, setConcurrencyUpdate, setTargetUpdate } from '../../../src/workflows/messages';

export const ALREADY_ACCEPTED = 2;

export async function buildDataset(input: BuildInput): Promise<BuildProgress> {
  const progress: BuildProgress = {
    datasetId: input.datasetId,
    status: 'running',
    target: input.target,
    accepted: ALREADY_ACCEPTED,
    generated: 5,
    parseFailures: 0,
    rejected: { low_score: 3 },
    surplus: 0,
    round: 1,
    batchesDone: 1,
    batchesInFlight: 0,
    tokensIn: 0,
    tokensOut: 0,
    concurrency: input.concurrency ?? 4,
    continuedAsNew: 0,
  };
  const numberOf = (arg: { target: number } | { concurrency: number } | number, key: 'target' | 'concurrency') =>
    typeof arg === 'number' ? arg : (arg as Record<string, number>)[key];

  setHandler(progressQuery, () => progress);
  setHandler(pauseSignal, () => void (progress.status = 'paused'));
  setHandler(resumeSignal, () => void (progress.status = 'running'));
  setHandler(
    setTargetUpdate,
    (arg) => {
      progress.target = numberOf(arg, 'target');
      return progress;
    },
    {
      validator: (arg) => {
        const target = numberOf(arg, 'target');
        if (target < progress.accepted) throw new Error(`target ${target} is below the ${progress.accepted} records already accepted`);
      },
    },
  );
  setHandler(setConcurrencyUpdate, (arg) => {
    progress.concurrency = numberOf(arg, 'concurrency');
    return progress;
  });
  // Runs until cancelled, like a build whose target is out of reach.
  await condition(() => false);
  return progress;
}
