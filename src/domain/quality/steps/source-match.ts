// A cheap groundedness check that needs no judge: a record's answer must occur word for word in its source
// text, and its question must name at least one term of that source. It catches what a small model gets
// wrong most often (an answer made up or garbled, a question about nothing), at the cost of string matching.
// Records without a known source (variants of seed records) are kept: there is nothing to hold them to.
import { appearsVerbatim, sharedTerms } from '../../generation';
import { recordPromptText, recordResponseText } from '../../records';
import type { SourceMatchStepConfig } from './step-types';
import { partition } from './partition';
import type { FilterStep, SourceTextLookup } from '../types';

export function sourceMatchStep(config: SourceMatchStepConfig, sourceText?: SourceTextLookup): FilterStep {
  const name = config.name ?? 'source_match';
  if (!sourceText) {
    throw new Error(`Filter step "${name}" needs the records' source texts; pass { sourceText } to buildFilterPipeline or remove the step`);
  }
  return {
    name,
    apply: async (records) =>
      partition(name, records, (record) => {
        const source = sourceText(record);
        if (source === undefined) return null;
        const answer = recordResponseText(record.content);
        if (!appearsVerbatim(answer, source)) return `answer_not_in_source: "${clip(answer)}" does not occur in the source`;
        const question = recordPromptText(record.content);
        if (sharedTerms(question, source).length === 0) return `question_off_source: "${clip(question)}" names no term of the source`;
        return null;
      }),
  };
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}…` : flat;
}
