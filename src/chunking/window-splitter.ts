// Fixed-size chunking (basic, sliding, token): each chunk is as large as the limit allows, ends at
// the best natural boundary near that limit, and the next one starts exactly `overlap` units
// before it ends (basic: right after it, with no overlap).
import { preferredCut, skipWhitespace, trimEnd } from './boundaries';
import type { SizeMeasure } from './measure';
import type { Span } from './types';

export interface WindowOptions {
  size: number;
  overlap: number;
  measure: SizeMeasure;
}

/** Spans covering text[from, to) in order; consecutive spans overlap by `overlap` units. */
export function splitIntoWindows(text: string, options: WindowOptions, from = 0, to = text.length): Span[] {
  const { size, overlap, measure } = options;
  const spans: Span[] = [];
  let start = skipWhitespace(text, from, to);
  while (start < to) {
    const hardEnd = Math.min(to, measure.maxEnd(text, start, size));
    if (hardEnd >= to) {
      spans.push({ start, end: trimEnd(text, start, to) });
      break;
    }
    // The next chunk must start after this one does, so the cut has to leave more than `overlap`.
    const minEnd = overlap > 0 ? overlapSafeMinimum(text, start, hardEnd, overlap, measure) : start + 1;
    const cut = preferredCut(text, start, hardEnd, minEnd);
    const end = trimEnd(text, start, cut);
    spans.push({ start, end });
    start = overlap > 0 ? measure.tailStart(text, start + 1, end, overlap) : skipWhitespace(text, end, to);
  }
  return spans;
}

function overlapSafeMinimum(text: string, start: number, hardEnd: number, overlap: number, measure: SizeMeasure): number {
  // For characters this is exact; for tokens, `overlap` tokens take at most the characters the
  // measure says they take from the hard end, which is a safe lower bound for the cut.
  const overlapCharacters = hardEnd - measure.tailStart(text, start, hardEnd, overlap);
  return Math.min(hardEnd, start + overlapCharacters + 1);
}
