// Filter pipeline configuration: a list of steps, each an object with a `step` type and its options, as
// written in YAML config (`curate.filters`), workflow inputs and API requests. `name` labels a step in
// reports when one type appears twice (e.g. a strict and a loose length filter).
import { z } from 'zod';
import { PII_KINDS } from './pii';

const count = z.number().int().min(0);

const lengthBoundsSchema = z
  .object({
    minChars: count.optional(),
    maxChars: count.optional(),
    minTokens: count.optional(),
    maxTokens: count.optional(),
  })
  .strict();

const common = { name: z.string().min(1).optional() };

export const emptyStepSchema = z.object({ step: z.literal('empty'), ...common }).strict();

/** Bounds at the top level apply to prompt and response; `prompt` / `response` override per side. */
export const lengthStepSchema = z
  .object({
    step: z.literal('length'),
    ...common,
    ...lengthBoundsSchema.shape,
    prompt: lengthBoundsSchema.optional(),
    response: lengthBoundsSchema.optional(),
  })
  .strict();

export const languageStepSchema = z
  .object({
    step: z.literal('language'),
    ...common,
    /** ISO 639-1 codes to keep, e.g. ["en"] or ["en", "de"]. */
    keep: z.array(z.string().regex(/^[a-z]{2,3}$/, 'use ISO 639 codes such as "en", "de", "fr"')).min(1),
    /** Records with less text than this are kept unjudged: detection on a few words is a guess. */
    minChars: count.default(40),
    /** Reject when the detector cannot tell (default: keep, since it happens on code, numbers, names). */
    rejectUndetermined: z.boolean().default(false),
  })
  .strict();

export const piiStepSchema = z
  .object({
    step: z.literal('pii'),
    ...common,
    /** `redact` replaces findings with [EMAIL]-style placeholders; `remove` drops the record. */
    action: z.enum(['redact', 'remove']).default('redact'),
    kinds: z
      .array(z.enum(PII_KINDS))
      .min(1)
      .default([...PII_KINDS]),
  })
  .strict();

export const toxicityStepSchema = z
  .object({
    step: z.literal('toxicity'),
    ...common,
    /** Reject at score ≥ threshold (scores are in [0, 1]). */
    threshold: z.number().min(0).max(1).default(0.5),
    /** `classifier` and `both` need the `classify` dependency (a model endpoint). */
    method: z.enum(['lexicon', 'classifier', 'both']).default('lexicon'),
  })
  .strict();

export const htmlCleanStepSchema = z.object({ step: z.literal('html_clean'), ...common }).strict();

export const scoreThresholdStepSchema = z
  .object({
    step: z.literal('score_threshold'),
    ...common,
    threshold: z.number(),
    /** Keep records without a score instead of rejecting them as `unscored`. */
    allowUnscored: z.boolean().default(false),
  })
  .strict();

export const groundednessStepSchema = z
  .object({
    step: z.literal('groundedness'),
    ...common,
    /** Judge calls in flight at once. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** When the judge throws: fail the whole run (`throw`, so the activity retries), or reject / keep the record. */
    onError: z.enum(['throw', 'reject', 'keep']).default('throw'),
  })
  .strict();

/** Answer found word for word in the source, question naming a term of it (no judge needed). */
export const sourceMatchStepSchema = z.object({ step: z.literal('source_match'), ...common }).strict();

export const filterStepConfigSchema = z.discriminatedUnion('step', [
  emptyStepSchema,
  lengthStepSchema,
  languageStepSchema,
  piiStepSchema,
  toxicityStepSchema,
  htmlCleanStepSchema,
  scoreThresholdStepSchema,
  groundednessStepSchema,
  sourceMatchStepSchema,
]);

export type FilterStepConfig = z.output<typeof filterStepConfigSchema>;
export type FilterStepConfigInput = z.input<typeof filterStepConfigSchema>;
export type LengthBounds = z.output<typeof lengthBoundsSchema>;
export const FILTER_STEP_TYPES = filterStepConfigSchema.options.map((option) => option.shape.step.value);
