// How chunk size is measured: in characters, or in tokens of the o200k encoding (GPT-4o family,
// via gpt-tokenizer). A measure answers the two questions the window splitter asks.
import { countTokens, decode, encode } from 'gpt-tokenizer';

export interface SizeMeasure {
  /** The furthest end such that text[start, end) is at most `limit` units. */
  maxEnd(text: string, start: number, limit: number): number;
  /** The start of the last `amount` units of text[from, end) (never before `from`). */
  tailStart(text: string, from: number, end: number, amount: number): number;
  /** Size of text[start, end) in units. */
  size(text: string, start: number, end: number): number;
}

export const characterMeasure: SizeMeasure = {
  maxEnd: (text, start, limit) => Math.min(text.length, start + limit),
  tailStart: (_text, from, end, amount) => Math.max(from, end - amount),
  size: (_text, start, end) => end - start,
};

// Tokens average ~4 characters in prose; windows of this many characters per token are tokenized
// first and widened only when they turn out too short (long runs of spaces, repeated symbols).
const CHARACTERS_PER_TOKEN_GUESS = 6;

export const tokenMeasure: SizeMeasure = {
  maxEnd(text, start, limit) {
    for (let guess = limit * CHARACTERS_PER_TOKEN_GUESS; ; guess *= 2) {
      const windowEnd = Math.min(text.length, start + guess);
      const tokens = encode(text.slice(start, windowEnd));
      if (tokens.length <= limit) {
        if (windowEnd === text.length) return windowEnd;
        continue;
      }
      // The first `limit` tokens decode to a prefix of the window; a multi-byte character split
      // across tokens decodes to a replacement character, so keep only the part that matches.
      let end = start + commonPrefixLength(decode(tokens.slice(0, limit)), text, start);
      // Tokenizing the prefix alone can merge differently at its edge; shrink until it fits.
      while (end > start + 1 && countTokens(text.slice(start, end)) > limit) end--;
      return Math.max(end, start + 1);
    }
  },
  tailStart(text, from, end, amount) {
    if (amount <= 0) return end;
    const windowStart = Math.max(from, end - amount * CHARACTERS_PER_TOKEN_GUESS * 2);
    const tokens = encode(text.slice(windowStart, end));
    if (tokens.length <= amount) return windowStart;
    const suffix = decode(tokens.slice(tokens.length - amount));
    // Align the decoded suffix with the text (a split multi-byte character can shift it by one).
    let start = end - suffix.length;
    while (start < end && !suffix.endsWith(text.slice(start, end))) start++;
    return Math.max(from, start);
  },
  size: (text, start, end) => countTokens(text.slice(start, end)),
};

function commonPrefixLength(candidate: string, text: string, offset: number): number {
  let length = 0;
  while (length < candidate.length && offset + length < text.length && candidate[length] === text[offset + length]) length++;
  return length;
}
