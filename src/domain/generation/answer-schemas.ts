// What the LLM is asked to answer for each task, and how each answered item becomes a record.
// The envelope (`{ items: [...] }`) is validated leniently and each item strictly on its own, so one
// bad item out of five is one failure, not five.
import { z } from 'zod';
import { toEndpointJsonSchema } from '../../infra/llm';
import { recordContentSchema, type DatasetType, type RecordContent } from '../records';

const text = z.string().trim().min(1);

const chatTurn = z.object({ role: z.enum(['system', 'user', 'assistant']), content: text });

/** The fields an LLM writes for one item of each type (datacreek adds `type`, and `input` for summaries). */
export const itemShapes = {
  qa: z.object({ question: text, answer: text }),
  cot: z.object({ question: text, reasoning: text, answer: text }),
  summary: z.object({ instruction: text, summary: text }),
  conversation: z.object({ messages: z.array(chatTurn).min(2) }),
  preference: z.object({ prompt: text, chosen: text, rejected: text }),
} as const satisfies Record<DatasetType, z.ZodType>;

/** Rules beyond the shape, checked per item; each returns a reason or null. */
const itemRules: Partial<Record<DatasetType, (item: Record<string, unknown>) => string | null>> = {
  conversation: (item) => {
    const roles = (item.messages as { role: string }[]).map((m) => m.role);
    if (!roles.includes('user') || !roles.includes('assistant')) return 'a conversation needs at least one user and one assistant turn';
    if (roles[roles.length - 1] !== 'assistant') return 'a conversation must end with an assistant turn';
    return null;
  },
  preference: (item) => (normalize(String(item.chosen)) === normalize(String(item.rejected)) ? 'chosen and rejected are the same text' : null),
};

export function itemsSchemaName(type: DatasetType): string {
  return `${type}_items`;
}

/** Accepts any array of items; items are checked one by one by `toRecordContent`. */
export const itemsEnvelope = z.object({ items: z.array(z.unknown()) });

/** The JSON Schema sent to the endpoint: the full item shape, so structured-output servers produce it. */
export function itemsJsonSchema(type: DatasetType): Record<string, unknown> {
  // minItems 1: a grammar-constrained model (the local provider) may otherwise settle for `{"items": []}`.
  return toEndpointJsonSchema(z.object({ items: z.array(itemShapes[type]).min(1) }));
}

export function variantsSchemaName(kind: string): string {
  return `record_variants_${kind}`;
}

export const variantsEnvelope = z.object({ variants: z.array(z.unknown()) });

export function variantsJsonSchema(type: DatasetType): Record<string, unknown> {
  return toEndpointJsonSchema(z.object({ variants: z.array(itemShapes[type]).min(1) }));
}

/**
 * Turns one answered item into record content, or says why it cannot be one. `sourceText` becomes
 * a summary's `input`, the one field the LLM is not asked to write.
 */
export function toRecordContent(
  type: DatasetType,
  item: unknown,
  extra: { sourceText?: string } = {},
): { ok: true; content: RecordContent } | { ok: false; reason: string } {
  const shaped = itemShapes[type].safeParse(item);
  if (!shaped.success) {
    const issues = shaped.error.issues.map((issue) => `${issue.path.join('.') || 'item'}: ${issue.message}`).join('; ');
    return { ok: false, reason: `the item does not have the ${type} fields: ${issues}` };
  }
  const fields = shaped.data as Record<string, unknown>;
  const broken = itemRules[type]?.(fields);
  if (broken) return { ok: false, reason: broken };
  const candidate = type === 'summary' ? { type, input: extra.sourceText ?? '', ...fields } : { type, ...fields };
  const content = recordContentSchema.safeParse(candidate);
  if (!content.success) return { ok: false, reason: `the item is not a valid ${type} record: ${content.error.issues[0]?.message}` };
  return { ok: true, content: content.data };
}

export function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Whether the last item of an answer cut off at the token limit is really complete. jsonrepair
 * closes a string cut mid-word, which would turn "The Rhine flo" into a valid-looking answer; so
 * the item counts as complete only if the raw text holds its last value followed by the closing
 * brace (compared without whitespace, which models format freely).
 */
export function lastItemIsComplete(raw: string, item: unknown): boolean {
  if (!item || typeof item !== 'object') return false;
  const values = Object.values(item as Record<string, unknown>);
  if (values.length === 0) return false;
  const squeeze = (text: string) => text.replace(/\s+/g, '');
  return squeeze(raw).includes(`${squeeze(JSON.stringify(values[values.length - 1]))}}`);
}

/** Added to item failures of an answer that hit the token limit, so the fix is clear. */
export function cutOffNote(finishReason: string | null): string {
  return finishReason === 'length' ? ' (the answer was cut off at the token limit: raise maxTokens or ask for fewer items)' : '';
}
