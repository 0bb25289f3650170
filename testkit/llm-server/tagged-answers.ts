// Answers to prompts that ask for tagged plain text instead of JSON, the way InstructLab's prompt configs do:
// "Return the score between [Start of Score] and [End of Score] tags", or "[QUESTION] … [ANSWER] … [END]"
// pairs. The answer fills each asked-for tag deterministically from the prompt's own text, so pipelines that
// parse with start/end tags or a custom regex get rows, and their filters see scores that pass — except for a
// fixed, hash-chosen share that fails, so filters have something to drop.
import { hash32, keyPhrase, splitSentences, stripEndPunctuation } from './text-tools';

/** Tags the prompt asks the answer to use, in the order it first names them. */
export function askedTags(prompt: string): string[] {
  const tags: string[] = [];
  const pattern = /(?:between|within|with the tag|in)\s+(?:the\s+)?\[Start of ([A-Za-z ]+?)\]/g;
  for (const match of prompt.matchAll(pattern)) if (!tags.includes(match[1])) tags.push(match[1]);
  return tags;
}

/** The text being worked on: the last [Start of Context|Document|Question] block, else the longest paragraph. */
function subjectText(prompt: string): string {
  const blocks = [...prompt.matchAll(/\[(?:Start of )?(?:Context|Document|DOCUMENT|Passage)\]\s*([\s\S]*?)(?=\[(?:End of|QUESTION|Question|Start of)|$)/g)].map(
    (m) => m[1].trim(),
  );
  const last = blocks.filter((b) => b.length > 0).pop();
  if (last) return last;
  const paragraphs = prompt.split(/\n\s*\n/).map((p) => p.trim());
  return paragraphs.reduce((a, b) => (b.length > a.length ? b : a), '');
}

function sentenceAt(text: string, index: number): string {
  const sentences = splitSentences(text);
  return sentences.length > 0 ? sentences[index % sentences.length] : text.slice(0, 200) || 'No text was given.';
}

/** How many items the prompt asks for ("generate 3 such questions", "a set of 30 diverse questions"). */
function askedCount(prompt: string): number {
  const match = /generate\s+(\d{1,3})\s+such/i.exec(prompt) ?? /set of\s+(\d{1,3})\s+diverse/i.exec(prompt);
  return Math.min(Math.max(match ? Number(match[1]) : 1, 1), 50);
}

function scoreFor(prompt: string, variant: number): string {
  // One in seven judged items fails, chosen by the prompt's hash: stable across runs and retries.
  const fails = hash32(prompt, variant) % 7 === 0;
  if (/0\/1|binary/i.test(prompt)) return fails ? '0' : '1';
  if (/maximum possible score of 2/i.test(prompt)) return fails ? '1' : '2';
  return fails ? '1' : '3';
}

function tagValue(tag: string, prompt: string, variant: number, item: number): string {
  const subject = subjectText(prompt);
  const lower = tag.toLowerCase();
  if (lower === 'score' || lower === 'rating') return scoreFor(prompt, variant);
  if (lower === 'answer' && /Answer YES/.test(prompt)) return hash32(prompt, variant) % 7 === 0 ? 'NO' : 'YES';
  if (lower === 'question') {
    const sentence = sentenceAt(subject, variant * 7 + item);
    return `(${hash32(prompt) % 1000}-${variant + 1}.${item + 1}) What does the text say about ${stripEndPunctuation(keyPhrase(sentence))}?`;
  }
  if (lower === 'context') return `Context ${variant + 1}: ${sentenceAt(subject, variant)} ${sentenceAt(subject, variant + 1)}`;
  return `${tag} ${variant + 1}: ${sentenceAt(subject, variant + item)}`;
}

/**
 * The answer to a tagged-text prompt, or null when the prompt asks for no tags (the caller answers freeform).
 * `variant` (the choice index plus the request's seed) makes the n choices of one request differ.
 */
export function answerTagged(prompt: string, variant: number): string | null {
  if (/\[QUESTION\][\s\S]*\[ANSWER\][\s\S]*\[END\]/.test(prompt)) {
    const subject = subjectText(prompt);
    const pairs = [0, 1, 2].map((i) => {
      const sentence = sentenceAt(subject, variant * 3 + i);
      return `[QUESTION]\nWhat does the document say about ${stripEndPunctuation(keyPhrase(sentence))} (${variant + 1}.${i + 1})?\n[ANSWER]\n${sentence}\n[END]`;
    });
    return pairs.join('\n\n');
  }
  const tags = askedTags(prompt);
  if (tags.length === 0) return null;
  if (tags.length === 1 && tags[0] === 'Question') {
    const count = askedCount(prompt);
    return Array.from({ length: count }, (_, item) => `[Start of Question]\n${tagValue('Question', prompt, variant, item)}\n[End of Question]`).join('\n\n');
  }
  return tags.map((tag) => `[Start of ${tag}]\n${tagValue(tag, prompt, variant, 0)}\n[End of ${tag}]`).join('\n');
}
