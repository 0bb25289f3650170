// Rows of the three instruction-tuning layouts people already have: Alpaca, ShareGPT, OpenAI messages.
import type { ChatMessage } from '../../records';
import { asList, asText, composeAlpacaPrompt, embeddedMetadataOf, isObject, problem, record, requiredText, sourceIdOf, type RowOutcome } from './row-values';

/**
 * Alpaca `{instruction, input?, output, system?, history?}` → qa, or conversation when there is a history or a
 * system prompt (both are part of what the model is trained on, so they cannot hide in metadata).
 * instruction/input are kept in metadata.alpaca so an Alpaca export restores them exactly.
 */
export function alpacaRow(row: Record<string, unknown>): RowOutcome {
  const instruction = requiredText(row, 'instruction');
  if ('error' in instruction) return problem(instruction.error);
  const output = requiredText(row, 'output');
  if ('error' in output) return problem(output.error);
  const input = row.input === undefined || row.input === null ? '' : asText(row.input);
  if (input === undefined) return problem('"input" is not text');
  const system = row.system === undefined || row.system === null ? '' : asText(row.system);
  if (system === undefined) return problem('"system" is not text');
  const history = readAlpacaHistory(row.history);
  if ('error' in history) return problem(history.error);

  const question = composeAlpacaPrompt(instruction.value, input);
  const metadata = {
    ...embeddedMetadataOf(row),
    ...sourceIdOf(row),
    alpaca: { instruction: instruction.value, input },
  };
  if (history.turns.length === 0 && system.trim() === '') {
    return record({ type: 'qa', question, answer: output.value }, metadata);
  }
  const messages: ChatMessage[] = [];
  if (system.trim() !== '') messages.push({ role: 'system', content: system });
  for (const [user, assistant] of history.turns) {
    messages.push({ role: 'user', content: user }, { role: 'assistant', content: assistant });
  }
  messages.push({ role: 'user', content: question }, { role: 'assistant', content: output.value });
  return record({ type: 'conversation', messages }, metadata);
}

function readAlpacaHistory(value: unknown): { turns: [string, string][] } | { error: string } {
  if (value === undefined || value === null) return { turns: [] };
  const list = asList(value);
  if (!list) return { error: '"history" is not a list of [user, assistant] pairs' };
  const turns: [string, string][] = [];
  for (const [i, pair] of list.entries()) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      return { error: `"history[${i}]" is not a [user, assistant] pair of strings` };
    }
    turns.push([pair[0], pair[1]]);
  }
  return { turns };
}

const SHAREGPT_ROLES: Readonly<Record<string, ChatMessage['role']>> = {
  system: 'system',
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  chatgpt: 'assistant',
  bing: 'assistant',
  bard: 'assistant',
};

/** ShareGPT `{conversations: [{from, value}], system?}` → conversation. */
export function sharegptRow(row: Record<string, unknown>): RowOutcome {
  const turns = asList(row.conversations);
  if (!turns) return problem('"conversations" is not a list');
  const messages: ChatMessage[] = [];
  const system = asText(row.system);
  if (system !== undefined && system.trim() !== '') messages.push({ role: 'system', content: system });
  for (const [i, turn] of turns.entries()) {
    if (!isObject(turn)) return problem(`conversations[${i}] is not an object`);
    const from = asText(turn.from ?? turn.role);
    const role = from === undefined ? undefined : SHAREGPT_ROLES[from.toLowerCase()];
    if (role === undefined) {
      return problem(`conversations[${i}].from is ${JSON.stringify(from ?? null)}; expected human, gpt or system`);
    }
    const value = asText(turn.value ?? turn.content);
    if (value === undefined || value.trim() === '') return problem(`conversations[${i}].value is missing or empty`);
    messages.push({ role, content: value });
  }
  const checked = checkConversation(messages, 'conversations');
  if (checked) return problem(checked);
  return record({ type: 'conversation', messages }, { ...embeddedMetadataOf(row), ...sourceIdOf(row) });
}

/** OpenAI chat `{messages: [{role, content}]}` → conversation. Content may be a string or text parts. */
export function openaiMessagesRow(row: Record<string, unknown>): RowOutcome {
  const list = asList(row.messages);
  if (!list) return problem('"messages" is not a list');
  const messages: ChatMessage[] = [];
  for (const [i, message] of list.entries()) {
    if (!isObject(message)) return problem(`messages[${i}] is not an object`);
    const role = asText(message.role);
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      return problem(`messages[${i}].role is ${JSON.stringify(role ?? null)}; only system, user and assistant are carried (tool calls are not)`);
    }
    const content = messageText(message.content);
    if (content === undefined || content.trim() === '') return problem(`messages[${i}].content is missing or empty`);
    messages.push({ role, content });
  }
  const checked = checkConversation(messages, 'messages');
  if (checked) return problem(checked);
  return record({ type: 'conversation', messages }, { ...embeddedMetadataOf(row), ...sourceIdOf(row) });
}

/** OpenAI content is a string or a list of parts; only text parts carry training text. */
function messageText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts = content.map((part) => (isObject(part) && part.type === 'text' ? asText(part.text) : undefined));
  if (texts.some((t) => t === undefined)) return undefined;
  return texts.join('');
}

/** A conversation worth training on has a user turn and an assistant turn. */
function checkConversation(messages: ChatMessage[], field: string): string | undefined {
  if (!messages.some((m) => m.role === 'user')) return `"${field}" has no user turn`;
  if (!messages.some((m) => m.role === 'assistant')) return `"${field}" has no assistant turn`;
  return undefined;
}
