// Curation's quality library: filter steps run as a pipeline, and the dataset quality report.
export {
  filterStepConfigSchema,
  FILTER_STEP_TYPES,
  type FilterStepConfig,
  type FilterStepConfigInput,
  type LengthBounds,
} from './config';
export { buildFilterPipeline, runFilterPipeline, filterSteps, type PipelineOutcome, type StepSummary } from './pipeline';
export {
  reasonCode,
  type FilterOutcome,
  type FilterStep,
  type FilterRejection,
  type FilterModification,
  type FilterDependencies,
  type ClassifyFunction,
  type GroundednessJudge,
} from './types';
export { detectPii, redactPii, luhnValid, PII_KINDS, PII_PLACEHOLDERS, type PiiKind, type PiiFinding } from './pii';
export { scoreToxicity, type ToxicityResult } from './toxicity';
export { cleanHtml, type HtmlCleanResult } from './html';
export { textFields, mapContentText, type TextField } from './content-text';
export { buildQualityReport, distribution, type QualityReport, type QualityReportOptions, type Distribution, type HistogramBucket } from './report';
export { renderQualityReportHtml } from './report-html';
