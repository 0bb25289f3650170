// Rejects records with any blank text field: an empty answer, an empty chat turn, an empty rejected
// completion. Such records teach a model to say nothing.
import type { EmptyStepConfig } from './step-types';
import { textFields } from '../content-text';
import { partition } from './partition';
import type { FilterStep } from '../types';

export function emptyStep(config: EmptyStepConfig): FilterStep {
  const name = config.name ?? 'empty';
  return {
    name,
    apply: async (records) =>
      partition(name, records, (record) => {
        const blank = textFields(record.content).find((field) => field.text.trim().length === 0);
        return blank ? `empty: ${blank.field} is empty` : null;
      }),
  };
}
