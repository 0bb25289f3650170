// Reward-model scoring: each record is sent to a reward model as the conversation it
// teaches (user turns, then the assistant's answer); the model's attribute scores are parsed from
// its content or logprobs and folded into one score with a configurable formula.
import { isResponseFormatRejection, type LlmClient } from '../../infra/llm';
import { addTokenCounts, emptyTokenCount, type LlmMessage, type TokenCount } from '../../infra/llm';
import {
  DEFAULT_REWARD_FORMULA,
  combineRewardScore,
  parseRewardAttributes,
  type RewardAttributes,
  type RewardFormula,
  type RewardParseMode,
} from '../../infra/llm';
import type { RecordContent } from '../records';
import type { LlmCallOptions, RecordFailure } from './types';

export interface RecordToScore {
  id: string;
  content: RecordContent;
}

export interface RewardScore {
  id: string;
  attributes: RewardAttributes;
  /** The combined score (see RewardFormula; by default Nemotron's weighted sum). */
  score: number;
}

export interface RewardScoringOptions extends Omit<LlmCallOptions, 'temperature'> {
  /** Where the model puts its scores: the message content or the logprobs tokens. */
  parse: RewardParseMode;
  /** Weight per attribute; default NEMOTRON_REWARD_WEIGHTS. */
  weights?: Record<string, number>;
  combine?: RewardFormula['combine'];
}

export interface RewardScoringResult {
  scores: RewardScore[];
  failures: RecordFailure[];
  usage: TokenCount;
}

export async function rewardScoreRecords(llm: LlmClient, records: RecordToScore[], options: RewardScoringOptions): Promise<RewardScoringResult> {
  const formula: RewardFormula = {
    weights: options.weights ?? DEFAULT_REWARD_FORMULA.weights,
    combine: options.combine ?? DEFAULT_REWARD_FORMULA.combine,
  };
  // Scores read from the content come back as JSON of the weighted attributes where the endpoint does structured
  // output (a grammar-constrained local model cannot answer anything else); an endpoint that rejects
  // response_format is remembered by the client and asked without it.
  const structured = options.parse === 'content' && llm.config.structuredOutput === 'json_schema';
  // One call per record, all at once: the endpoint limiter bounds how many are in flight.
  const outcomes = await Promise.all(
    records.map(async (record) => {
      const ask = (withFormat: boolean) =>
        llm.chat({
          messages: rewardConversation(record.content),
          logprobs: options.parse === 'logprobs',
          ...(withFormat ? { responseFormat: rewardResponseFormat(Object.keys(formula.weights)) } : {}),
          maxTokens: options.maxTokens,
          callSite: 'reward',
          signal: options.signal,
        });
      const result = await ask(structured).catch((error: unknown) => {
        if (structured && isResponseFormatRejection(error)) return ask(false);
        throw error;
      });
      const attributes = parseRewardAttributes(options.parse === 'logprobs' ? result.logprobs : result.content);
      const combined = combineRewardScore(attributes, formula);
      const raw = options.parse === 'logprobs' ? JSON.stringify(result.logprobs ?? null) : result.content;
      return { record, attributes, combined, raw, usage: result.usage };
    }),
  );
  const scores: RewardScore[] = [];
  const failures: RecordFailure[] = [];
  for (const { record, attributes, combined, raw } of outcomes) {
    if (combined.ok) scores.push({ id: record.id, attributes, score: combined.score });
    else failures.push({ id: record.id, raw, reason: combined.reason });
  }
  return { scores, failures, usage: outcomes.reduce((sum, outcome) => addTokenCounts(sum, outcome.usage), emptyTokenCount()) };
}

/**
 * The conversation a record teaches, ending with the assistant turn to score. System turns are
 * dropped (reward models score user/assistant exchanges); a preference pair is scored on `chosen`.
 */
export function rewardConversation(content: RecordContent): LlmMessage[] {
  switch (content.type) {
    case 'qa':
      return [
        { role: 'user', content: content.question },
        { role: 'assistant', content: content.answer },
      ];
    case 'cot':
      return [
        { role: 'user', content: content.question },
        { role: 'assistant', content: `${content.reasoning}\n\n${content.answer}` },
      ];
    case 'summary':
      return [
        { role: 'user', content: `${content.instruction}\n\n${content.input}` },
        { role: 'assistant', content: content.summary },
      ];
    case 'conversation': {
      const turns = content.messages.filter((message) => message.role !== 'system');
      const lastAssistant = turns.map((message) => message.role).lastIndexOf('assistant');
      return turns.slice(0, lastAssistant + 1);
    }
    case 'preference':
      return [
        { role: 'user', content: content.prompt },
        { role: 'assistant', content: content.chosen },
      ];
  }
}

/** `{ helpfulness: number, … }` for every attribute the formula weighs. */
export function rewardResponseFormat(attributes: string[]): Record<string, unknown> {
  return {
    type: 'json_schema',
    json_schema: {
      name: 'reward_scores',
      strict: true,
      schema: {
        type: 'object',
        properties: Object.fromEntries(attributes.map((name) => [name, { type: 'number' }])),
        required: attributes,
        additionalProperties: false,
      },
    },
  };
}
