// Builds filter steps from validated config and runs them in order, each on the survivors of the last,
// counting per step what it removed, what it modified and why.
import type { DatasetRecord } from '../records';
import { filterStepConfigSchema, type FilterStepConfigInput } from './config';
import { emptyStep } from './steps/empty';
import { groundednessStep } from './steps/groundedness';
import { htmlCleanStep } from './steps/html-clean';
import { languageStep } from './steps/language';
import { lengthStep } from './steps/length';
import { piiStep } from './steps/pii';
import { scoreThresholdStep } from './steps/score-threshold';
import { sourceMatchStep } from './steps/source-match';
import { toxicityStep } from './steps/toxicity';
import { reasonCode, type FilterDependencies, type FilterOutcome, type FilterStep } from './types';

export interface StepSummary {
  step: string;
  removed: number;
  modified: number;
  /** Rejections by reason code, e.g. { too_short: 3, too_long: 1 }. */
  reasons: Record<string, number>;
}

export type PipelineOutcome = FilterOutcome & { perStep: StepSummary[] };

/**
 * Validates each config object (unknown keys and bad values are errors naming the step's position and
 * the field) and builds the steps. `deps` supplies what config cannot: a toxicity classifier, a
 * groundedness judge.
 */
export function buildFilterPipeline(config: readonly unknown[], deps: FilterDependencies = {}): FilterStep[] {
  return config.map((raw, position) => {
    const parsed = filterStepConfigSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`).join('; ');
      const stepType = typeof raw === 'object' && raw !== null && 'step' in raw ? ` ("${String((raw as { step: unknown }).step)}")` : '';
      throw new Error(
        `Invalid filter step #${position + 1}${stepType}: ${problems}. Steps are objects like { step: "length", minChars: 10 }; types: empty, length, language, pii, toxicity, html_clean, score_threshold, groundedness, source_match.`,
      );
    }
    const step = parsed.data;
    switch (step.step) {
      case 'empty':
        return emptyStep(step);
      case 'length':
        return lengthStep(step);
      case 'language':
        return languageStep(step);
      case 'pii':
        return piiStep(step);
      case 'toxicity':
        return toxicityStep(step, deps.classify);
      case 'html_clean':
        return htmlCleanStep(step);
      case 'score_threshold':
        return scoreThresholdStep(step);
      case 'groundedness':
        return groundednessStep(step, deps.judge);
      case 'source_match':
        return sourceMatchStep(step, deps.sourceText);
    }
  });
}

/** Typed convenience for code that builds configs: the same as passing plain objects. */
export function filterSteps(...config: FilterStepConfigInput[]): FilterStepConfigInput[] {
  return config;
}

export async function runFilterPipeline(records: DatasetRecord[], steps: FilterStep[]): Promise<PipelineOutcome> {
  let kept = records;
  const rejected: FilterOutcome['rejected'] = [];
  const modified: FilterOutcome['modified'] = [];
  const perStep: StepSummary[] = [];
  for (const step of steps) {
    const outcome = await step.apply(kept);
    if (outcome.kept.length + outcome.rejected.length !== kept.length) {
      throw new Error(
        `Filter step "${step.name}" returned ${outcome.kept.length} kept + ${outcome.rejected.length} rejected for ${kept.length} records; a step must account for every record`,
      );
    }
    const reasons: Record<string, number> = {};
    for (const rejection of outcome.rejected) {
      const code = reasonCode(rejection.reason);
      reasons[code] = (reasons[code] ?? 0) + 1;
    }
    perStep.push({ step: step.name, removed: outcome.rejected.length, modified: outcome.modified.length, reasons });
    rejected.push(...outcome.rejected);
    modified.push(...outcome.modified);
    kept = outcome.kept;
  }
  return { kept, rejected, modified, perStep };
}
