// New records from existing ones: synthetic variants of seed records (rephrase, ask a new
// question, make it harder or easier) and augmentation (paraphrase, easier, harder, format
// variation). Both are one `record_rewrite` call per kind whose answer has the record's own fields.
import type { LlmClient } from '../../infra/llm';
import { addTokenCounts, emptyTokenCount } from '../../infra/llm';
import { recordText, type RecordContent } from '../records';
import { cutOffNote, lastItemIsComplete, normalize, toRecordContent, variantsEnvelope, variantsJsonSchema, variantsSchemaName } from './answer-schemas';
import { askForJson } from './ask-json';
import { renderPrompt, requirePrompt, rewriteInstructionName, type PromptTemplates, type RewriteKind } from './prompts';
import type { GenerationFailure, GenerationResult, LlmCallOptions } from './types';

export type VariantKind = 'rephrase' | 'new_question' | 'harder' | 'easier';
export type AugmentationKind = 'paraphrase' | 'easier' | 'harder' | 'format_variation';

export interface RecordVariant {
  kind: VariantKind;
  content: RecordContent;
}

export interface GenerateVariantsOptions extends LlmCallOptions {
  seed: RecordContent;
  kinds: VariantKind[];
  prompts: PromptTemplates;
  /** Variants asked for per kind (default 1). */
  perKind?: number;
}

/** Variants of one seed record, one call per kind, all calls concurrent under the endpoint limiter. */
export async function generateVariants(llm: LlmClient, options: GenerateVariantsOptions): Promise<GenerationResult<RecordVariant>> {
  if (options.kinds.length === 0) throw new Error('generateVariants: kinds is empty; pass at least one of rephrase, new_question, harder, easier');
  const results = await Promise.all(
    options.kinds.map(async (kind) => {
      const result = await rewriteRecord(llm, options.seed, kind, options.perKind ?? 1, options.prompts, options);
      return { ...result, items: result.items.map((content) => ({ kind, content })) };
    }),
  );
  return {
    items: results.flatMap((result) => result.items),
    failures: results.flatMap((result) => result.failures),
    usage: results.reduce((sum, result) => addTokenCounts(sum, result.usage), emptyTokenCount()),
  };
}

export interface AugmentRecordOptions extends LlmCallOptions {
  prompts: PromptTemplates;
}

/** One augmented copy of a record (augmentation). */
export async function augmentRecord(
  llm: LlmClient,
  record: RecordContent,
  kind: AugmentationKind,
  options: AugmentRecordOptions,
): Promise<GenerationResult<RecordContent>> {
  return rewriteRecord(llm, record, kind, 1, options.prompts, options);
}

async function rewriteRecord(
  llm: LlmClient,
  record: RecordContent,
  kind: RewriteKind,
  count: number,
  prompts: PromptTemplates,
  call: LlmCallOptions,
): Promise<GenerationResult<RecordContent>> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`rewrite: the number of variants must be a positive integer, got ${count}`);
  const instruction = requirePrompt(prompts, rewriteInstructionName(kind)).trim();
  const prompt = renderPrompt(
    requirePrompt(prompts, 'record_rewrite'),
    { record: JSON.stringify(record, null, 2), instruction, num_variants: count, record_type: record.type },
    'record_rewrite',
  );
  const answer = await askForJson(
    llm,
    { prompt, schema: variantsEnvelope, schemaName: variantsSchemaName(kind), jsonSchema: variantsJsonSchema(record.type), callSite: `rewrite.${kind}` },
    call,
  );
  if (!answer.ok) return { items: [], failures: [{ raw: answer.raw, reason: `${kind}: ${answer.reason}` }], usage: answer.usage };

  const items: RecordContent[] = [];
  const failures: GenerationFailure[] = [];
  if (answer.value.variants.length === 0) failures.push({ raw: answer.raw, reason: `${kind}: the answer held no variants` });
  const original = normalize(recordText(record));
  const answered = answer.value.variants;
  answered.forEach((variant, index) => {
    if (index === answered.length - 1 && answer.finishReason === 'length' && !lastItemIsComplete(answer.raw, variant)) {
      failures.push({ raw: JSON.stringify(variant), reason: `${kind} variant ${index}: incomplete${cutOffNote('length')}` });
      return;
    }
    // A summary's input is the source text; a variant keeps the original's.
    const converted = toRecordContent(record.type, variant, { sourceText: record.type === 'summary' ? record.input : undefined });
    if (!converted.ok) {
      failures.push({ raw: JSON.stringify(variant), reason: `${kind} variant ${index}: ${converted.reason}${cutOffNote(answer.finishReason)}` });
    } else if (normalize(recordText(converted.content)) === original) {
      failures.push({ raw: JSON.stringify(variant), reason: `${kind} variant ${index}: identical to the original record` });
    } else items.push(converted.content);
  });
  return { items, failures, usage: answer.usage };
}
