// Small deterministic text helpers the test LLM server builds its answers from.

/** FNV-1a, 32 bit: a stable hash of a string, the same in every process and run. */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche so nearby inputs spread over the whole range.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** A number in [0, 1) derived from a string: a deterministic stand-in for a coin toss. */
export function unitHash(text: string, seed = 0): number {
  return hash32(text, seed) / 2 ** 32;
}

/** Sentences of a text, whitespace-normalized; very short fragments (headings, list markers) are dropped. */
export function splitSentences(text: string, minWords = 4): string[] {
  const normalized = text.replace(/\s+/g, ' ').trim();
  if (!normalized) return [];
  const pieces = normalized.match(/[^.!?]+(?:[.!?]+["')\]]*|$)/g) ?? [normalized];
  const sentences = pieces.map((piece) => piece.trim()).filter((piece) => piece.split(' ').length >= minWords);
  return sentences.length > 0 ? sentences : [normalized];
}

const STOP_WORDS = new Set(
  'a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it its may might more most no not of on or our she should so such than that the their them then there these they this those to was we were what when where which while who why will with would you your also other some any each about after before between over under very'.split(
    ' ',
  ),
);

export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:['’-][a-z0-9]+)*/g) ?? [];
}

export function contentWords(text: string): string[] {
  return words(text).filter((word) => word.length > 2 && !STOP_WORDS.has(word));
}

/** The (up to) three longest content words of a sentence, in their order there: what a question can be about. */
export function keyPhrase(sentence: string): string {
  const candidates = contentWords(sentence);
  if (candidates.length === 0) return 'this topic';
  const chosen = new Set([...candidates].sort((a, b) => b.length - a.length || a.localeCompare(b)).slice(0, 3));
  const ordered = candidates.filter((word, index) => chosen.has(word) && candidates.indexOf(word) === index);
  if (ordered.length === 1) return ordered[0];
  return `${ordered.slice(0, -1).join(', ')} and ${ordered[ordered.length - 1]}`;
}

export function stripEndPunctuation(text: string): string {
  return text.replace(/[\s.!?;:,]+$/, '');
}

export function lowerFirst(text: string): string {
  return text ? text[0].toLowerCase() + text.slice(1) : text;
}

export function upperFirst(text: string): string {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Blocks between lines that are exactly `---`: where datacreek's prompt templates put source text. */
export function delimitedBlocks(prompt: string, delimiter = '---'): string[] {
  const lines = prompt.split('\n');
  const blocks: string[] = [];
  let current: string[] | null = null;
  for (const line of lines) {
    if (line.trim() === delimiter) {
      if (current) {
        blocks.push(current.join('\n').trim());
        current = null;
      } else {
        current = [];
      }
    } else if (current) {
      current.push(line);
    }
  }
  return blocks;
}

/**
 * The first JSON value in `text` that starts with `opener` and satisfies `accept`, found by bracket
 * matching that respects strings: prompts embed records as JSON among prose.
 */
export function findJson(text: string, opener: '{' | '[', accept: (value: unknown) => boolean): unknown {
  const closer = opener === '{' ? '}' : ']';
  for (let start = text.indexOf(opener); start >= 0; start = text.indexOf(opener, start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) {
          if (ch !== closer) break;
          try {
            const value = JSON.parse(text.slice(start, i + 1));
            if (accept(value)) return value;
          } catch {
            // not JSON after all; try the next opener
          }
          break;
        }
      }
    }
  }
  return undefined;
}
