// Is a record supported by the text it was generated from? One LLM call with the `groundedness`
// prompt. When the answer cannot be used the record is reported as not grounded with `checked:
// false`, so a caller can tell "unsupported" from "could not tell".
import { z } from 'zod';
import type { LlmClient } from '../../infra/llm';
import type { TokenCount } from '../../infra/llm';
import type { RecordContent } from '../records';
import { askForJson, steadyCall } from './ask-json';
import { renderPrompt, requirePrompt, type PromptTemplates } from './prompts';
import type { LlmCallOptions } from './types';

export interface GroundednessInput {
  content: RecordContent;
  sourceText: string;
}

export interface GroundednessOptions extends LlmCallOptions {
  prompts: PromptTemplates;
}

export interface GroundednessVerdict {
  grounded: boolean;
  reason: string;
  /** False when the judge's answer was unusable and `grounded: false` means "unknown". */
  checked: boolean;
  raw: string;
  usage: TokenCount;
}

const verdictSchema = z.object({
  grounded: z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean()),
  reason: z.string().default(''),
});

const verdictJsonSchema = {
  type: 'object',
  properties: { grounded: { type: 'boolean' }, reason: { type: 'string' } },
  required: ['grounded', 'reason'],
  additionalProperties: false,
};

export async function checkGroundedness(llm: LlmClient, input: GroundednessInput, options: GroundednessOptions): Promise<GroundednessVerdict> {
  const prompt = renderPrompt(
    requirePrompt(options.prompts, 'groundedness'),
    { text: input.sourceText, record: JSON.stringify(input.content, null, 2) },
    'groundedness',
  );
  const answer = await askForJson(
    llm,
    { prompt, schema: verdictSchema, schemaName: 'groundedness_verdict', jsonSchema: verdictJsonSchema, callSite: 'groundedness' },
    steadyCall(options),
  );
  if (!answer.ok) {
    return { grounded: false, checked: false, reason: `the groundedness check gave no usable answer: ${answer.reason}`, raw: answer.raw, usage: answer.usage };
  }
  return { grounded: answer.value.grounded, reason: answer.value.reason, checked: true, raw: answer.raw, usage: answer.usage };
}
