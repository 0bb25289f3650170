// One structured-JSON question to the LLM, asked the way every generator and judge asks it: the rendered prompt
// as the only user message, the answer checked against a zod schema, and the caller's sampling options.
import type { z } from 'zod';
import type { JsonResult, LlmClient } from '../../infra/llm';
import { variationSeed, type LlmCallOptions } from './types';

export interface JsonQuestion<T> {
  prompt: string;
  /** Checks the answer (the client repairs or re-asks once before it reports an unusable one). */
  schema: z.ZodType<T>;
  schemaName: string;
  /** Sent instead of the JSON Schema derived from `schema`, e.g. one stricter than what is accepted. */
  jsonSchema?: Record<string, unknown>;
  /** Names the call in usage accounting and logs. */
  callSite: string;
}

export function askForJson<T>(llm: LlmClient, question: JsonQuestion<T>, call: LlmCallOptions): Promise<JsonResult<T>> {
  const { prompt, ...answer } = question;
  return llm.chatJson({
    messages: [{ role: 'user', content: prompt }],
    ...answer,
    temperature: call.temperature,
    maxTokens: call.maxTokens,
    seed: variationSeed(call.variation),
    signal: call.signal,
  });
}

/** How judges and checkers ask: for the same answer every time (temperature 0 unless set, no variation seed). */
export function steadyCall(options: LlmCallOptions): LlmCallOptions {
  return { temperature: options.temperature ?? 0, maxTokens: options.maxTokens, signal: options.signal };
}
