// Length bounds in characters and tokens (gpt-tokenizer's o200k encoding), on the prompt side and the
// response side separately: a one-word answer and a 30-page question are different problems.
import { countTokens } from 'gpt-tokenizer';
import { recordPromptText, recordResponseText } from '../../records';
import type { LengthBounds } from '../config';
import type { FilterStep } from '../types';
import { partition } from './partition';
import type { LengthStepConfig } from './step-types';

export function lengthStep(config: LengthStepConfig): FilterStep {
  const name = config.name ?? 'length';
  const shared: LengthBounds = { minChars: config.minChars, maxChars: config.maxChars, minTokens: config.minTokens, maxTokens: config.maxTokens };
  const sides = {
    prompt: { ...shared, ...definedOnly(config.prompt) },
    response: { ...shared, ...definedOnly(config.response) },
  };
  return {
    name,
    apply: async (records) =>
      partition(name, records, (record) => {
        for (const side of ['prompt', 'response'] as const) {
          const text = side === 'prompt' ? recordPromptText(record.content) : recordResponseText(record.content);
          const reason = violation(side, text, sides[side]);
          if (reason) return reason;
        }
        return null;
      }),
  };
}

function violation(side: string, text: string, bounds: LengthBounds): string | null {
  const chars = [...text.trim()].length;
  if (bounds.minChars !== undefined && chars < bounds.minChars) return `too_short: ${side} ${chars} < ${bounds.minChars} chars`;
  if (bounds.maxChars !== undefined && chars > bounds.maxChars) return `too_long: ${side} ${chars} > ${bounds.maxChars} chars`;
  if (bounds.minTokens === undefined && bounds.maxTokens === undefined) return null;
  const tokens = countTokens(text);
  if (bounds.minTokens !== undefined && tokens < bounds.minTokens) return `too_short: ${side} ${tokens} < ${bounds.minTokens} tokens`;
  if (bounds.maxTokens !== undefined && tokens > bounds.maxTokens) return `too_long: ${side} ${tokens} > ${bounds.maxTokens} tokens`;
  return null;
}

function definedOnly(bounds: LengthBounds | undefined): LengthBounds {
  return Object.fromEntries(Object.entries(bounds ?? {}).filter(([, value]) => value !== undefined));
}
