// What each trainer demands of one row. Each rule returns the problems of a row as sentences; an empty list
// means the row loads. The rules follow the loaders themselves: OpenAI's chat fine-tuning checks (as in
// its data-preparation cookbook), LLaMA-Factory's alpaca and sharegpt converters, axolotl's chat_template,
// TRL's DPO/KTO columns.
import { recordContentSchema } from '../../records';

export type RowRule = (row: unknown) => string[];

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function nonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

function requireObject(row: unknown, check: (row: Record<string, unknown>) => string[]): string[] {
  return isObject(row) ? check(row) : [`is ${Array.isArray(row) ? 'a list' : typeof row}, not a JSON object`];
}

function requireNonEmptyStrings(row: Record<string, unknown>, fields: readonly string[]): string[] {
  return fields.filter((f) => !nonEmptyString(row[f])).map((f) => `"${f}" must be a non-empty string`);
}

const OPENAI_ROLES = new Set(['system', 'user', 'assistant']);
const OPENAI_MESSAGE_KEYS = new Set(['role', 'content', 'name', 'function_call', 'weight']);

export const openaiChatRule: RowRule = (row) =>
  requireObject(row, (r) => {
    if (!Array.isArray(r.messages)) return ['"messages" is missing or not a list'];
    if (r.messages.length === 0) return ['"messages" is empty'];
    const problems: string[] = [];
    r.messages.forEach((m: unknown, i: number) => {
      if (!isObject(m)) {
        problems.push(`messages[${i}] is not an object`);
        return;
      }
      const unknown = Object.keys(m).filter((k) => !OPENAI_MESSAGE_KEYS.has(k));
      if (unknown.length > 0) problems.push(`messages[${i}] has unrecognized key(s) ${unknown.join(', ')}`);
      if (!OPENAI_ROLES.has(m.role as string)) {
        problems.push(`messages[${i}].role is ${JSON.stringify(m.role ?? null)}; expected system, user or assistant`);
      }
      if (!nonEmptyString(m.content)) problems.push(`messages[${i}].content must be a non-empty string`);
      if (m.weight !== undefined && m.weight !== 0 && m.weight !== 1) problems.push(`messages[${i}].weight must be 0 or 1`);
    });
    if (!r.messages.some((m: unknown) => isObject(m) && m.role === 'assistant')) problems.push('has no assistant message');
    return problems;
  });

export const alpacaRule: RowRule = (row) =>
  requireObject(row, (r) => {
    const problems = requireNonEmptyStrings(r, ['instruction', 'output']);
    if (r.input !== undefined && typeof r.input !== 'string') problems.push('"input" must be a string');
    if (r.system !== undefined && typeof r.system !== 'string') problems.push('"system" must be a string');
    if (r.history !== undefined) {
      if (!Array.isArray(r.history)) {
        problems.push('"history" must be a list of [user, assistant] pairs');
      } else {
        r.history.forEach((pair: unknown, i: number) => {
          const ok = Array.isArray(pair) && pair.length === 2 && pair.every((t) => typeof t === 'string');
          if (!ok) problems.push(`history[${i}] must be a [user, assistant] pair of strings`);
        });
      }
    }
    return problems;
  });

// LLaMA-Factory: after an optional system turn, odd turns come from the user side, even turns from the model.
const SHAREGPT_USER_SIDE = new Set(['human', 'observation']);
const SHAREGPT_MODEL_SIDE = new Set(['gpt', 'function_call']);

export const sharegptRule: RowRule = (row) =>
  requireObject(row, (r) => {
    if (!Array.isArray(r.conversations)) return ['"conversations" is missing or not a list'];
    const problems: string[] = [];
    if (r.system !== undefined && typeof r.system !== 'string') problems.push('"system" must be a string');
    const turns = r.conversations as unknown[];
    const offset = isObject(turns[0]) && turns[0].from === 'system' ? 1 : 0;
    turns.forEach((turn, i) => {
      if (!isObject(turn)) {
        problems.push(`conversations[${i}] is not an object`);
        return;
      }
      if (!nonEmptyString(turn.value)) problems.push(`conversations[${i}].value must be a non-empty string`);
      if (i < offset) return;
      const userTurn = (i - offset) % 2 === 0;
      const expected = userTurn ? SHAREGPT_USER_SIDE : SHAREGPT_MODEL_SIDE;
      if (!expected.has(turn.from as string)) {
        problems.push(
          `conversations[${i}].from is ${JSON.stringify(turn.from ?? null)}; expected ${userTurn ? 'human' : 'gpt'} (human and gpt alternate, starting with human)`,
        );
      }
    });
    const dialogue = turns.length - offset;
    if (dialogue === 0) problems.push('"conversations" has no human/gpt turns');
    else if (dialogue % 2 !== 0) problems.push('"conversations" must end with a gpt turn');
    return problems;
  });

const AXOLOTL_ROLES = new Set(['system', 'user', 'assistant', 'tool', 'human', 'gpt']);

/** axolotl `type: chat_template` with its defaults: field_messages "messages", keys role/content. */
export const axolotlChatTemplateRule: RowRule = (row) =>
  requireObject(row, (r) => {
    if (!Array.isArray(r.messages)) return ['"messages" is missing or not a list'];
    const problems: string[] = [];
    r.messages.forEach((m: unknown, i: number) => {
      if (!isObject(m)) {
        problems.push(`messages[${i}] is not an object`);
        return;
      }
      if (!AXOLOTL_ROLES.has(m.role as string)) problems.push(`messages[${i}].role is ${JSON.stringify(m.role ?? null)}; not a role axolotl maps`);
      if (typeof m.content !== 'string') problems.push(`messages[${i}].content must be a string`);
    });
    // With the default roles_to_train the assistant turns are what the loss is computed on.
    if (!r.messages.some((m: unknown) => isObject(m) && (m.role === 'assistant' || m.role === 'gpt'))) {
      problems.push('has no assistant message to train on');
    }
    return problems;
  });

export const dpoRule: RowRule = (row) =>
  requireObject(row, (r) => {
    const problems = requireNonEmptyStrings(r, ['prompt', 'chosen', 'rejected']);
    if (problems.length === 0 && r.chosen === r.rejected) problems.push('"chosen" and "rejected" are identical');
    return problems;
  });

export const ktoRule: RowRule = (row) =>
  requireObject(row, (r) => {
    const problems = requireNonEmptyStrings(r, ['prompt', 'completion']);
    if (typeof r.label !== 'boolean') problems.push('"label" must be true or false');
    return problems;
  });

export const textRule: RowRule = (row) => requireObject(row, (r) => requireNonEmptyStrings(r, ['text']));

/** datacreek's own rows: an id and content that matches the record schema. */
export const datacreekRule: RowRule = (row) =>
  requireObject(row, (r) => {
    const problems = requireNonEmptyStrings(r, ['id']);
    const { id: _id, score, source: _source, metadata, ...content } = r;
    const parsed = recordContentSchema.safeParse(content);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`"${issue.path.join('.') || 'type'}": ${issue.message}`);
    }
    if (score !== undefined && score !== null && typeof score !== 'number') problems.push('"score" must be a number or null');
    if (metadata !== undefined && !isObject(metadata)) problems.push('"metadata" must be an object');
    return problems;
  });
