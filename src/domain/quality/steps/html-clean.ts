// Strips HTML from every text field (a modification, not a filter); a record is rejected only if a
// field that had text is empty once the markup is gone.
import { mapContentText } from '../content-text';
import { cleanHtml } from '../html';
import type { FilterOutcome, FilterStep } from '../types';
import type { HtmlCleanStepConfig } from './step-types';

export function htmlCleanStep(config: HtmlCleanStepConfig): FilterStep {
  const name = config.name ?? 'html_clean';
  return {
    name,
    apply: async (records) => {
      const outcome: FilterOutcome = { kept: [], rejected: [], modified: [] };
      for (const record of records) {
        let tags = 0;
        let entities = 0;
        let changed = false;
        let emptied: string | null = null;
        const content = mapContentText(record.content, (text, field) => {
          const cleaned = cleanHtml(text);
          tags += cleaned.tagsRemoved;
          entities += cleaned.entitiesDecoded;
          if (cleaned.text !== text) changed = true;
          if (emptied === null && text.trim().length > 0 && cleaned.text.trim().length === 0) emptied = field;
          return cleaned.text;
        });
        if (emptied !== null) {
          outcome.rejected.push({ id: record.id, step: name, reason: `empty_after_html_clean: ${emptied} had only markup` });
          continue;
        }
        if (!changed) {
          outcome.kept.push(record);
          continue;
        }
        outcome.kept.push({ ...record, content });
        const parts = [tags > 0 ? `removed ${tags} tag(s)` : '', entities > 0 ? `decoded ${entities} entit${entities === 1 ? 'y' : 'ies'}` : '']
          .filter(Boolean)
          .join(', ');
        outcome.modified.push({ id: record.id, step: name, change: parts });
      }
      return outcome;
    },
  };
}
