// Inputs of the standalone curation and export workflows.
import { z } from 'zod';
import { EXPORT_FORMAT_NAMES } from '../domain/formats/types';
import { DATASET_ID_PATTERN } from './ids';

const datasetId = z.string().regex(DATASET_ID_PATTERN, 'use lowercase letters, digits, ".", "_" or "-"');

/** curateDataset: score an existing dataset's records (built or imported) and keep those at or above the threshold. */
export const curateInputSchema = z
  .object({
    datasetId,
    ownerId: z.string().min(1).default('local'),
    /** Judge threshold 1–10 (default 7.0). */
    threshold: z.number().min(1).max(10).optional(),
    scoring: z.enum(['judge', 'reward', 'both', 'none']).optional(),
    filters: z.array(z.record(z.string(), z.unknown())).optional(),
    dedup: z.boolean().default(true),
    batchSize: z.number().int().positive().max(1000).optional(),
    /** Augmentation: variants of a share of the kept records, originals kept. */
    augment: z
      .object({
        kinds: z.array(z.enum(['paraphrase', 'easier', 'harder', 'format_variation'])).min(1),
        /** Share of the kept records to augment, 0–1. */
        ratio: z.number().min(0).max(1),
      })
      .strict()
      .optional(),
    /** Write the quality report (JSON + HTML) next to the dataset's exports. */
    report: z.boolean().default(true),
  })
  .strict();
export type CurateInput = z.input<typeof curateInputSchema>;

export interface CurateResult {
  datasetId: string;
  total: number;
  kept: number;
  removed: Record<string, number>;
  retentionRate: number;
  averageScore: number | null;
  augmented: number;
  report?: { json: string; html: string };
}

/** exportDataset: write the accepted records in a training format, split deterministically. */
export const exportInputSchema = z
  .object({
    datasetId,
    ownerId: z.string().min(1).default('local'),
    format: z.enum(EXPORT_FORMAT_NAMES).optional(),
    split: z
      .object({ train: z.number().min(0).max(1), validation: z.number().min(0).max(1), test: z.number().min(0).max(1) })
      .strict()
      .optional(),
    seed: z.number().int().optional(),
    systemPrompt: z.string().optional(),
    stratifyBySource: z.boolean().optional(),
  })
  .strict();
export type ExportInput = z.input<typeof exportInputSchema>;

export interface ExportResult {
  exportId: string;
  datasetId: string;
  format: string;
  /** `key`: the file's object-store key; `path`: where a person finds it (a local path or an s3:// URL). */
  files: { split: string; key: string; path: string; records: number; bytes: number }[];
  recordCount: number;
}
