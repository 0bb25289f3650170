// Where to end a chunk that must stop at or before a hard limit: at the last paragraph break near
// the limit if there is one, else the last line break, else the last sentence end, else the last
// space, and only as a last resort in the middle of a word.

/** Share of the chunk, counted back from the limit, in which a natural boundary is looked for. */
export const BOUNDARY_LOOKBACK = 0.2;

// A sentence ends with terminal punctuation, optionally closing quotes/brackets, then whitespace.
const SENTENCE_END = /[.!?\u2026\u3002\uFF01\uFF1F]+["'\u2019\u201D)\]\u00BB]*(?=\s)/g;

/**
 * The end offset for a chunk starting at `start` that may not extend past `hardEnd` nor stop
 * before `minEnd`. Returns `hardEnd` when no boundary lies in the look-back window.
 */
export function preferredCut(text: string, start: number, hardEnd: number, minEnd: number): number {
  const windowStart = Math.max(minEnd, hardEnd - Math.floor((hardEnd - start) * BOUNDARY_LOOKBACK));
  if (windowStart >= hardEnd) return hardEnd;
  const window = text.slice(windowStart, hardEnd + 1); // +1: a boundary right at the limit counts

  const paragraph = window.lastIndexOf('\n\n');
  if (paragraph >= 0 && windowStart + paragraph > start) return windowStart + paragraph;
  const line = window.lastIndexOf('\n');
  if (line >= 0 && windowStart + line > start) return windowStart + line;

  let sentenceEnd = -1;
  for (const match of window.matchAll(SENTENCE_END)) {
    const end = (match.index ?? 0) + match[0].length;
    if (windowStart + end <= hardEnd) sentenceEnd = end;
  }
  if (sentenceEnd > 0) return windowStart + sentenceEnd;

  const space = Math.max(window.lastIndexOf(' '), window.lastIndexOf('\t'));
  if (space > 0 && windowStart + space > start) return windowStart + space;
  return hardEnd;
}

/** Moves `end` back over whitespace so chunks do not end in blanks (never to or before `start`). */
export function trimEnd(text: string, start: number, end: number): number {
  let trimmed = end;
  while (trimmed > start + 1 && /\s/.test(text[trimmed - 1])) trimmed--;
  return trimmed;
}

/** Moves `start` forward over whitespace (never past `end`). */
export function skipWhitespace(text: string, start: number, end = text.length): number {
  let skipped = start;
  while (skipped < end && /\s/.test(text[skipped])) skipped++;
  return skipped;
}
