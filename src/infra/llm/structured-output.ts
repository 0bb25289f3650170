// Turning an LLM's text into a validated value: find the JSON in it, repair it if needed, check it
// against a zod schema, and describe what went wrong in words the model (and a person) can act on.
import { jsonrepair } from 'jsonrepair';
import { z } from 'zod';

export type ParsedJson = { ok: true; value: unknown; repaired: boolean } | { ok: false; reason: string };

/**
 * Parses the JSON an LLM answered. Models wrap JSON in code fences or prose and cut it off at the
 * token limit, so this tries, in order: the text as is; the span from the first `{`/`[` to the last
 * `}`/`]`; and jsonrepair on that span (which also closes truncated arrays and objects).
 */
export function parseLlmJson(raw: string): ParsedJson {
  const text = stripCodeFence(raw.trim());
  if (text === '') return { ok: false, reason: 'the answer was empty' };
  const direct = tryParse(text);
  if (direct.ok) return { ok: true, value: direct.value, repaired: false };

  const start = firstJsonStart(text);
  if (start < 0) return { ok: false, reason: `the answer contains no JSON object or array: ${direct.error}` };
  const end = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  if (end > start) {
    const span = tryParse(text.slice(start, end + 1));
    if (span.ok) return { ok: true, value: span.value, repaired: false };
  }
  try {
    return { ok: true, value: JSON.parse(jsonrepair(text.slice(start))), repaired: true };
  } catch (error) {
    return { ok: false, reason: `the answer is not valid JSON and could not be repaired: ${errorMessage(error)}` };
  }
}

/** Validates a parsed value; the reason lists each issue with its path, e.g. `items[0].answer: expected string`. */
export function validateJson<T>(value: unknown, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; reason: string } {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, reason: describeIssues(result.error) };
}

export function describeIssues(error: z.ZodError, maxIssues = 5): string {
  const issues = error.issues.slice(0, maxIssues).map((issue) => {
    const path = formatPath(issue.path);
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length > maxIssues ? `; and ${error.issues.length - maxIssues} more` : '';
  return `the JSON does not match the expected shape: ${issues.join('; ')}${more}`;
}

/**
 * The JSON Schema sent to the endpoint. Derived from the zod schema, minus keywords that OpenAI's
 * strict structured outputs reject (`$schema`, string lengths); zod still enforces them on receipt.
 */
export function toEndpointJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return stripKeywords(z.toJSONSchema(schema, { unrepresentable: 'any' }), new Set(['$schema', 'minLength', 'maxLength'])) as Record<string, unknown>;
}

/** The instruction appended in `prompt` and `json_object` modes; it names the schema so any server can tell tasks apart. */
export function jsonInstruction(schemaName: string, jsonSchema: Record<string, unknown>): string {
  return [
    `Respond with only a JSON value named "${schemaName}" that matches this JSON Schema.`,
    'No prose, no code fences, no comments before or after it.',
    `JSON Schema (${schemaName}):`,
    JSON.stringify(jsonSchema),
  ].join('\n');
}

/** The single stricter re-ask after an unusable answer: it quotes the error so the model can fix it. */
export function reaskInstruction(schemaName: string, reason: string): string {
  return [
    `Your previous answer could not be used: ${reason}.`,
    `Answer again with only the JSON value "${schemaName}", complete and valid, in the required shape.`,
    'Do not add any text before or after the JSON.',
  ].join('\n');
}

function stripCodeFence(text: string): string {
  const fenced = /^```[a-zA-Z0-9_-]*\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  if (fenced) return fenced[1].trim();
  // An opening fence whose closing fence was cut off by the token limit.
  const opened = /^```[a-zA-Z0-9_-]*\s*\n([\s\S]*)$/.exec(text);
  return opened ? opened[1].trim() : text;
}

function firstJsonStart(text: string): number {
  const brace = text.indexOf('{');
  const bracket = text.indexOf('[');
  if (brace < 0) return bracket;
  if (bracket < 0) return brace;
  return Math.min(brace, bracket);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/** Drops schema keywords everywhere except as property names (a property may well be called `minLength`). */
function stripKeywords(value: unknown, keywords: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((item) => stripKeywords(item, keywords));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !keywords.has(key))
      .map(([key, inner]) => [key, key === 'properties' ? stripPropertyMap(inner, keywords) : stripKeywords(inner, keywords)]),
  );
}

function stripPropertyMap(properties: unknown, keywords: Set<string>): unknown {
  if (!properties || typeof properties !== 'object') return properties;
  return Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, stripKeywords(schema, keywords)]));
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
