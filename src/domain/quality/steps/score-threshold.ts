// Keeps records whose judge / reward score reaches the threshold.
import type { FilterStep } from '../types';
import { partition } from './partition';
import type { ScoreThresholdStepConfig } from './step-types';

export function scoreThresholdStep(config: ScoreThresholdStepConfig): FilterStep {
  const name = config.name ?? 'score_threshold';
  return {
    name,
    apply: async (records) =>
      partition(name, records, (record) => {
        if (record.score === undefined || record.score === null || Number.isNaN(record.score)) {
          return config.allowUnscored ? null : 'unscored: record has no score';
        }
        return record.score >= config.threshold ? null : `below_threshold: score ${record.score} < ${config.threshold}`;
      }),
  };
}
