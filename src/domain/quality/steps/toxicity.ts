// Toxicity of the whole record text: the built-in lexicon score, a classifier's score (injected
// `classify`, e.g. a model endpoint), or the higher of both.
import { recordText } from '../../records';
import { scoreToxicity } from '../toxicity';
import type { ClassifyFunction, FilterOutcome, FilterStep } from '../types';
import type { ToxicityStepConfig } from './step-types';

export function toxicityStep(config: ToxicityStepConfig, classify?: ClassifyFunction): FilterStep {
  const name = config.name ?? 'toxicity';
  if (config.method !== 'lexicon' && !classify) {
    throw new Error(
      `Filter step "${name}" uses method "${config.method}", which needs a toxicity classifier; pass { classify } to buildFilterPipeline or use method "lexicon"`,
    );
  }
  return {
    name,
    apply: async (records) => {
      const texts = records.map((record) => recordText(record.content));
      let classifierScores: number[] | undefined;
      if (config.method !== 'lexicon' && texts.length > 0) {
        classifierScores = await classify!(texts);
        if (classifierScores.length !== texts.length) {
          throw new Error(`The toxicity classifier returned ${classifierScores.length} scores for ${texts.length} texts; it must return one score per text`);
        }
      }
      const outcome: FilterOutcome = { kept: [], rejected: [], modified: [] };
      records.forEach((record, i) => {
        const lexicon = config.method === 'classifier' ? null : scoreToxicity(texts[i]);
        const classifier = classifierScores?.[i];
        const lexiconHit = lexicon !== null && lexicon.score >= config.threshold;
        const classifierHit = classifier !== undefined && classifier >= config.threshold;
        if (!lexiconHit && !classifierHit) {
          outcome.kept.push(record);
          return;
        }
        const detail =
          classifierHit && (!lexiconHit || classifier! >= lexicon!.score)
            ? `classifier ${classifier!.toFixed(2)} ≥ ${config.threshold}`
            : `score ${lexicon!.score.toFixed(2)} ≥ ${config.threshold} (${lexicon!.terms.slice(0, 5).join(', ')})`;
        outcome.rejected.push({ id: record.id, step: name, reason: `toxic: ${detail}` });
      });
      return outcome;
    },
  };
}
