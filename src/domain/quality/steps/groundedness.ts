// Asks an injected judge whether each record is supported by its source; the LLM call lives elsewhere.
import pLimit from 'p-limit';
import type { FilterOutcome, FilterStep, GroundednessJudge } from '../types';
import type { GroundednessStepConfig } from './step-types';

export function groundednessStep(config: GroundednessStepConfig, judge?: GroundednessJudge): FilterStep {
  const name = config.name ?? 'groundedness';
  if (!judge) {
    throw new Error(`Filter step "${name}" needs a groundedness judge; pass { judge } to buildFilterPipeline or remove the step`);
  }
  return {
    name,
    apply: async (records) => {
      const limit = pLimit(config.concurrency);
      const verdicts = await Promise.all(
        records.map((record) =>
          limit(async () => {
            try {
              return { ok: true as const, verdict: await judge(record) };
            } catch (error) {
              if (config.onError === 'throw') throw error;
              return { ok: false as const, error: error instanceof Error ? error.message : String(error) };
            }
          }),
        ),
      );
      const outcome: FilterOutcome = { kept: [], rejected: [], modified: [] };
      records.forEach((record, i) => {
        const result = verdicts[i];
        if (!result.ok) {
          if (config.onError === 'keep') outcome.kept.push(record);
          else outcome.rejected.push({ id: record.id, step: name, reason: `judge_error: ${result.error}` });
        } else if (result.verdict.grounded) {
          outcome.kept.push(record);
        } else {
          outcome.rejected.push({ id: record.id, step: name, reason: `ungrounded: ${result.verdict.reason || 'the judge found no support in the source'}` });
        }
      });
      return outcome;
    },
  };
}
