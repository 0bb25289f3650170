// The formats library: import existing datasets, export to what fine-tuning tools load, split, validate,
// convert, and say which format serves which training goal.
export * from './types';
export { DatasetFormatError, ExportFormatError } from './errors';
export { importDataset } from './import/index';
export { splitRecords, apportion, largestRemainder, SPLIT_NAMES, DEFAULT_SPLIT_RATIOS } from './splits';
export type { SplitName, SplitOptions, SplitRatios, SplitResult } from './splits';
export { writeExport } from './export/write-export';
export type { ExportedFile, WriteExportOptions, WriteExportResult } from './export/write-export';
export { exportText, exportLines } from './export/lines';
export {
  FORMAT_ACCEPTS,
  assertFormatCarries,
  chatMessagesOf,
  cotText,
  alpacaRowOf,
  sharegptRowOf,
  openaiChatRowOf,
  dpoRowOf,
  ktoRowsOf,
  textRowOf,
  rawRowOf,
} from './export/record-mapping';
export { validateExport, validateExportText } from './validate/index';
export type { ValidationFormat, ValidationProblem, ValidationResult } from './validate/index';
export { convertFile, importedToDatasetRecord } from './convert';
export type { ConvertOptions, ConvertResult } from './convert';
export { TRAINING_GOALS, TRAINING_GOAL_NAMES, formatsForGoal, typesForGoal, goalsForType } from './training-goals';
export type { TrainingGoal, TrainingGoalInfo } from './training-goals';
export { htmlToText } from './html-text';
export { resolveExportFormat } from './resolve-format';
