// The validated config of each step type, narrowed from the union.
import type { FilterStepConfig } from '../config';

type Of<T extends FilterStepConfig['step']> = Extract<FilterStepConfig, { step: T }>;
export type EmptyStepConfig = Of<'empty'>;
export type LengthStepConfig = Of<'length'>;
export type LanguageStepConfig = Of<'language'>;
export type PiiStepConfig = Of<'pii'>;
export type ToxicityStepConfig = Of<'toxicity'>;
export type HtmlCleanStepConfig = Of<'html_clean'>;
export type ScoreThresholdStepConfig = Of<'score_threshold'>;
export type GroundednessStepConfig = Of<'groundedness'>;
export type SourceMatchStepConfig = Of<'source_match'>;
