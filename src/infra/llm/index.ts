// The LLM layer's public surface: what activities and generators import.
export { LlmClient, LlmRequestError, forgetResponseFormatFallbacks, isResponseFormatRejection } from './client';
export {
  EndpointLimiter,
  clearEndpointLimiters,
  endpointKey,
  endpointLimiterStats,
  getEndpointLimiter,
  type EndpointLimiterStats,
  type LimiterPermit,
  type RequestOutcome,
} from './endpoint-limiter';
export { backoffDelayMs, classifyFailure, parseRetryAfter, type ClassifiedFailure, type FailureKind } from './retry';
export { parseLlmJson, validateJson, toEndpointJsonSchema } from './structured-output';
export { decodeBase64Embedding, encodeBase64Embedding } from './embedding-encoding';
export {
  DEFAULT_REWARD_FORMULA,
  HELPSTEER_ATTRIBUTES,
  NEMOTRON_REWARD_WEIGHTS,
  combineRewardScore,
  parseRewardAttributes,
  type CombinedReward,
  type RewardAttributes,
  type RewardFormula,
  type RewardParseMode,
} from './reward';
export * from './types';
export * from './shared-budget';
export * from './postgres-endpoint-budget';
