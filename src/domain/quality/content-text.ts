// Every text field of a record, by name, so steps that inspect or rewrite text (empty, PII, HTML) treat
// all record types alike.
import type { RecordContent } from '../records';

export interface TextField {
  /** e.g. `question`, `answer`, `messages[2].content`. */
  field: string;
  text: string;
}

export function textFields(content: RecordContent): TextField[] {
  switch (content.type) {
    case 'qa':
      return [
        { field: 'question', text: content.question },
        { field: 'answer', text: content.answer },
      ];
    case 'cot':
      return [
        { field: 'question', text: content.question },
        { field: 'reasoning', text: content.reasoning },
        { field: 'answer', text: content.answer },
      ];
    case 'summary':
      return [
        { field: 'instruction', text: content.instruction },
        { field: 'input', text: content.input },
        { field: 'summary', text: content.summary },
      ];
    case 'conversation':
      return content.messages.map((message, i) => ({ field: `messages[${i}].content`, text: message.content }));
    case 'preference':
      return [
        { field: 'prompt', text: content.prompt },
        { field: 'chosen', text: content.chosen },
        { field: 'rejected', text: content.rejected },
      ];
  }
}

/** A copy of `content` with `rewrite` applied to every text field (the original is not mutated). */
export function mapContentText(content: RecordContent, rewrite: (text: string, field: string) => string): RecordContent {
  switch (content.type) {
    case 'qa':
      return { ...content, question: rewrite(content.question, 'question'), answer: rewrite(content.answer, 'answer') };
    case 'cot':
      return {
        ...content,
        question: rewrite(content.question, 'question'),
        reasoning: rewrite(content.reasoning, 'reasoning'),
        answer: rewrite(content.answer, 'answer'),
      };
    case 'summary':
      return {
        ...content,
        instruction: rewrite(content.instruction, 'instruction'),
        input: rewrite(content.input, 'input'),
        summary: rewrite(content.summary, 'summary'),
      };
    case 'conversation':
      return { ...content, messages: content.messages.map((m, i) => ({ ...m, content: rewrite(m.content, `messages[${i}].content`) })) };
    case 'preference':
      return {
        ...content,
        prompt: rewrite(content.prompt, 'prompt'),
        chosen: rewrite(content.chosen, 'chosen'),
        rejected: rewrite(content.rejected, 'rejected'),
      };
  }
}
