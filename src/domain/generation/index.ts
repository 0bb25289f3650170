// Generators and judges: each takes an LlmClient and prompt templates and returns data, failures
// (raw text + reason) and the tokens it spent.
export { generateFromText, summarizeText, type GenerateFromTextOptions, type SummaryResult } from './generate-from-text';
export {
  augmentRecord,
  generateVariants,
  type AugmentationKind,
  type AugmentRecordOptions,
  type GenerateVariantsOptions,
  type RecordVariant,
  type VariantKind,
} from './rewrite';
export { judgeRecords, type JudgeOptions, type JudgeResult, type Judgement, type RecordToJudge } from './judge';
export {
  rewardConversation,
  rewardScoreRecords,
  type RecordToScore,
  type RewardScore,
  type RewardScoringOptions,
  type RewardScoringResult,
} from './reward-scoring';
export { checkGroundedness, type GroundednessInput, type GroundednessOptions, type GroundednessVerdict } from './groundedness';
export {
  DEFAULT_PROMPTS_FILE,
  PROMPT_REQUIREMENTS,
  PromptTemplateError,
  REWRITE_KINDS,
  loadPromptTemplates,
  placeholdersOf,
  renderPrompt,
  requirePrompt,
  validatePromptTemplates,
  type PromptTemplates,
  type RewriteKind,
} from './prompts';
export { generateGroundedQa, assembleQuestion, type GroundedQaOptions } from './grounded-qa';
export { answerSentences, appearsVerbatim, keyTerms, sharedTerms } from './source-text';
export { itemShapes, itemsSchemaName, toRecordContent } from './answer-schemas';
export { variationSeed, type GenerationFailure, type GenerationResult, type LlmCallOptions, type RecordFailure } from './types';
