// Keeps records written in the listed languages (tinyld). Detection on a few words is a guess ("Hello"
// comes out Italian), so sides shorter than `minChars` are not judged alone; if both sides are short the
// whole record is judged when it is long enough together, and otherwise kept.
import { detect } from 'tinyld';
import { recordPromptText, recordResponseText } from '../../records/types';
import type { FilterStep } from '../types';
import { partition } from './partition';
import type { LanguageStepConfig } from './step-types';

export function languageStep(config: LanguageStepConfig): FilterStep {
  const name = config.name ?? 'language';
  const keep = new Set(config.keep);
  const expected = config.keep.join(', ');
  const judge = (label: string, text: string): string | null => {
    const language = detect(text);
    if (language === '') return config.rejectUndetermined ? `undetermined_language: ${label} language could not be detected` : null;
    return keep.has(language) ? null : `wrong_language: ${label} is ${language} (expected ${expected})`;
  };
  return {
    name,
    apply: async (records) =>
      partition(name, records, (record) => {
        const prompt = recordPromptText(record.content).trim();
        const response = recordResponseText(record.content).trim();
        const judged = [
          ['prompt', prompt],
          ['response', response],
        ].filter(([, text]) => text.length >= config.minChars);
        if (judged.length === 0) {
          const whole = `${prompt}\n${response}`.trim();
          return whole.length >= config.minChars ? judge('record', whole) : null;
        }
        for (const [label, text] of judged) {
          const reason = judge(label, text);
          if (reason) return reason;
        }
        return null;
      }),
  };
}
