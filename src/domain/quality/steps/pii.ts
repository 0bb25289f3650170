// PII in any text field: redact it with placeholders ([EMAIL], [PHONE] …) or drop the record.
import { mapContentText, textFields } from '../content-text';
import { detectPii, redactPii, summarizeFindings, type PiiFinding } from '../pii';
import type { FilterOutcome, FilterStep } from '../types';
import type { PiiStepConfig } from './step-types';

export function piiStep(config: PiiStepConfig): FilterStep {
  const name = config.name ?? 'pii';
  return {
    name,
    apply: async (records) => {
      const outcome: FilterOutcome = { kept: [], rejected: [], modified: [] };
      for (const record of records) {
        if (config.action === 'remove') {
          const findings = textFields(record.content).flatMap((field) => detectPii(field.text, config.kinds));
          if (findings.length > 0) outcome.rejected.push({ id: record.id, step: name, reason: `pii: ${summarizeFindings(findings)}` });
          else outcome.kept.push(record);
          continue;
        }
        const findings: PiiFinding[] = [];
        const content = mapContentText(record.content, (text) => {
          const redacted = redactPii(text, config.kinds);
          findings.push(...redacted.findings);
          return redacted.text;
        });
        if (findings.length === 0) {
          outcome.kept.push(record);
        } else {
          outcome.kept.push({ ...record, content });
          outcome.modified.push({ id: record.id, step: name, change: `redacted ${summarizeFindings(findings)}` });
        }
      }
      return outcome;
    },
  };
}
