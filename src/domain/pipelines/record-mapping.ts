// How a pipeline row becomes a datacreek record (for the judge, the reward model, quality filters and the
// build's acceptance), following the block's `record` option or InstructLab's column names by default.
import type { DatasetType, RecordContent } from '../records';

export interface RecordMapping {
  type: DatasetType;
  columns: Record<string, string>;
}

export const RECORD_FIELDS: Record<DatasetType, string[]> = {
  qa: ['question', 'answer'],
  cot: ['question', 'reasoning', 'answer'],
  summary: ['instruction', 'input', 'summary'],
  conversation: ['messages'],
  preference: ['prompt', 'chosen', 'rejected'],
};

/** The columns InstructLab's pipelines end with: `question` and `response`. */
const DEFAULT_COLUMNS: Record<DatasetType, Record<string, string>> = {
  qa: { question: 'question', answer: 'response' },
  cot: { question: 'question', reasoning: 'reasoning', answer: 'response' },
  summary: { instruction: 'instruction', input: 'document', summary: 'summary' },
  conversation: { messages: 'messages' },
  preference: { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' },
};

export function resolveRecordMapping(raw: { type?: DatasetType; columns?: Record<string, string> } | undefined): RecordMapping {
  const type = raw?.type ?? 'qa';
  return { type, columns: { ...DEFAULT_COLUMNS[type], ...raw?.columns } };
}

/** A conversation mapped turn by turn (`user_1`, `assistant_1`, `user_2` …) instead of from one messages column. */
const TURN = /^(user|assistant|system)_(\d+)$/;

function turnColumns(mapping: RecordMapping): [string, string][] {
  return Object.entries(mapping.columns)
    .filter(([field]) => TURN.test(field))
    .sort(([a], [b]) => {
      const [, roleA, nA] = TURN.exec(a)!;
      const [, roleB, nB] = TURN.exec(b)!;
      const rank = (role: string) => (role === 'system' ? 0 : role === 'user' ? 1 : 2);
      return Number(nA) - Number(nB) || rank(roleA) - rank(roleB);
    });
}

export function mappingColumns(mapping: RecordMapping): string[] {
  const turns = mapping.type === 'conversation' ? turnColumns(mapping) : [];
  if (turns.length > 0) return turns.map(([, column]) => column);
  return RECORD_FIELDS[mapping.type].map((field) => mapping.columns[field] ?? field);
}

const text = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value));

/** The record a row stands for, or why it cannot be one. */
export function rowToRecord(row: Record<string, unknown>, mapping: RecordMapping): { ok: true; content: RecordContent } | { ok: false; reason: string } {
  const value = (field: string) => row[mapping.columns[field] ?? field];
  const missing = mappingColumns(mapping).filter((column) => row[column] === undefined || row[column] === null);
  if (missing.length > 0) {
    return { ok: false, reason: `missing_column: a ${mapping.type} record needs ${missing.map((c) => `"${c}"`).join(', ')}` };
  }
  switch (mapping.type) {
    case 'qa':
      return { ok: true, content: { type: 'qa', question: text(value('question')), answer: text(value('answer')) } };
    case 'cot':
      return { ok: true, content: { type: 'cot', question: text(value('question')), reasoning: text(value('reasoning')), answer: text(value('answer')) } };
    case 'summary':
      return { ok: true, content: { type: 'summary', instruction: text(value('instruction')), input: text(value('input')), summary: text(value('summary')) } };
    case 'preference':
      return { ok: true, content: { type: 'preference', prompt: text(value('prompt')), chosen: text(value('chosen')), rejected: text(value('rejected')) } };
    case 'conversation': {
      const turns = turnColumns(mapping);
      if (turns.length > 0) {
        const messages = turns.map(([field, column]) => ({ role: TURN.exec(field)![1] as 'user' | 'assistant' | 'system', content: text(row[column]) }));
        return { ok: true, content: { type: 'conversation', messages } };
      }
      let messages = value('messages');
      if (typeof messages === 'string') {
        try {
          messages = JSON.parse(messages);
        } catch {
          return { ok: false, reason: 'bad_messages: the messages column is not a JSON list of {role, content}' };
        }
      }
      if (!Array.isArray(messages) || messages.length < 2 || !messages.every((m) => m && typeof m.role === 'string' && typeof m.content === 'string')) {
        return { ok: false, reason: 'bad_messages: the messages column must be a list of at least two {role, content} turns' };
      }
      return { ok: true, content: { type: 'conversation', messages } };
    }
  }
}
