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

/** Spans covering text[from, to) in order, each with its size in units. */
export function splitIntoWindows(text: string, options: WindowOptions, from = 0, to = text.length): Span[] {
  const { size, overlap, measure } = options;
  const contentEnd = trimEnd(text, from, to);
  const spans: Span[] = [];
  let start = skipWhitespace(text, from, to);
  while (start < contentEnd) {
    const hardEnd = Math.min(to, measure.maxEnd(text, start, size));
    // The next chunk must start after this one does, so the cut has to leave more than `overlap`.
    const minEnd = overlap > 0 ? overlapSafeMinimum(text, start, hardEnd, overlap, measure) : start + 1;
    let end = hardEnd >= contentEnd ? contentEnd : trimEnd(text, start, preferredCut(text, start, hardEnd, minEnd));
    let units = measure.size(text, start, end);
    // A slice tokenized on its own can take a token or two more than the whole-text tokenization
    // suggested; cut back to the previous boundary until it fits.
    while (units > size && end > start + 1) {
      end = trimEnd(text, start, preferredCut(text, start, end - 1, minEnd < end - 1 ? minEnd : start + 1));
      units = measure.size(text, start, end);
    }
    spans.push({ start, end, units });
    if (end >= contentEnd) break;
    start = overlap > 0 ? measure.tailStart(text, start + 1, end, overlap) : skipWhitespace(text, end, to);
  }
  return spans;
}

function overlapSafeMinimum(text: string, start: number, hardEnd: number, overlap: number, measure: SizeMeasure): number {
  const overlapCharacters = hardEnd - measure.tailStart(text, start, hardEnd, overlap);
  return Math.min(hardEnd, start + overlapCharacters + 1);
}
