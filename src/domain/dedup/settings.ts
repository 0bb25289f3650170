// Dedup settings: which of the three checks run and at what thresholds. One zod schema so config files,
// workflow inputs and API requests are validated the same way and get the same defaults.
import { z } from 'zod';

export const dedupSettingsSchema = z
  .object({
    /** Reject records whose normalized text hash matches an earlier one. */
    exact: z.boolean().default(true),
    minhash: z
      .object({
        enabled: z.boolean().default(true),
        /** Estimated Jaccard similarity of char 5-shingle sets at or above which a record is a near duplicate. */
        threshold: z.number().min(0).max(1).default(0.8),
        numPerm: z.number().int().min(16).max(1024).default(128),
        bands: z.number().int().min(1).default(32),
      })
      .prefault({}),
    semantic: z
      .object({
        enabled: z.boolean().default(true),
        /** Cosine similarity of embeddings at or above which a record is a semantic duplicate (see configs/config.yaml). */
        threshold: z.number().min(-1).max(1).default(0.85),
      })
      .prefault({}),
  })
  .refine((s) => s.minhash.numPerm % s.minhash.bands === 0, {
    message: 'minhash.bands must divide minhash.numPerm evenly (e.g. numPerm 128 with bands 32, 16 or 64)',
    path: ['minhash', 'bands'],
  });

export type DedupSettings = z.output<typeof dedupSettingsSchema>;
export type DedupSettingsInput = z.input<typeof dedupSettingsSchema>;

export const DEFAULT_DEDUP_SETTINGS: DedupSettings = dedupSettingsSchema.parse({});

/** Validates partial settings and fills defaults; the error names each bad path and its rule. */
export function resolveDedupSettings(input: DedupSettingsInput = {}): DedupSettings {
  const result = dedupSettingsSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new Error(`Invalid dedup settings: ${problems}`);
  }
  return result.data;
}
