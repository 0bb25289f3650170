// How chunk size is measured: in characters, or in tokens of the o200k encoding (GPT-4o family,
// via gpt-tokenizer). A measure answers the two questions the window splitter asks.
import { countTokens, decodeGenerator, encode } from 'gpt-tokenizer';

export interface SizeMeasure {
  /** The furthest end such that text[start, end) is at most `limit` units (an estimate for tokens). */
  maxEnd(text: string, start: number, limit: number): number;
  /** The start of the last `amount` units of text[from, end) (never before `from`). */
  tailStart(text: string, from: number, end: number, amount: number): number;
  /** Exact size of text[start, end) in units. */
  size(text: string, start: number, end: number): number;
}

export const characterMeasure: SizeMeasure = {
  maxEnd: (text, start, limit) => Math.min(text.length, start + limit),
  tailStart: (_text, from, end, amount) => Math.max(from, end - amount),
  size: (_text, start, end) => end - start,
};

/**
 * A token measure for one text: the text is tokenized once and every token's end offset is
 * recorded, so finding "the next N tokens" or "the last N tokens" is a binary search rather than a
 * fresh tokenization. Token boundaries come from the whole-text tokenization; a slice tokenized on
 * its own can differ by a token or two at its edges, which is why `size` counts exactly.
 */
export function createTokenMeasure(text: string): SizeMeasure {
  const tokenEnds = tokenEndOffsets(text);
  const tokenCount = tokenEnds.length;
  const tokenStart = (index: number): number => (index <= 0 ? 0 : index >= tokenCount ? text.length : tokenEnds[index - 1]);
  /** Number of tokens that end at or before `offset`. */
  const tokensEndingBy = (offset: number): number => {
    let low = 0;
    let high = tokenCount;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (tokenEnds[middle] <= offset) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  return {
    maxEnd(_text, start, limit) {
      const first = tokensEndingBy(start); // the first token that ends after `start`
      return first + limit >= tokenCount ? text.length : Math.max(start + 1, tokenStart(first + limit));
    },
    tailStart(_text, from, end, amount) {
      return Math.max(from, tokenStart(tokensEndingBy(end) - amount));
    },
    size: (_text, start, end) => countTokens(text.slice(start, end)),
  };
}

/** Character offset at which each token of `text` ends (tokens inside one character share it). */
function tokenEndOffsets(text: string): Int32Array {
  const tokens = encode(text);
  const ends = new Int32Array(tokens.length);
  let pulled = 0;
  const counted = {
    *[Symbol.iterator]() {
      for (const token of tokens) {
        pulled++;
        yield token;
      }
    },
  };
  // decodeGenerator pulls one token at a time and yields once a whole character is complete, so
  // at each yield every token pulled so far ends at the current offset.
  let offset = 0;
  let assigned = 0;
  for (const piece of decodeGenerator(counted)) {
    offset += piece.length;
    for (; assigned < pulled; assigned++) ends[assigned] = offset;
  }
  for (; assigned < tokens.length; assigned++) ends[assigned] = text.length;
  return ends;
}
