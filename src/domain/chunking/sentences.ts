// Splits text into sentence spans (offsets into the text) for semantic chunking. Paragraph breaks
// always end a sentence; over-long "sentences" (lists, unpunctuated transcripts) are split at line
// breaks and then spaces, so one unit never dominates a chunk.
import type { Span } from './types';

const SENTENCE_OR_PARAGRAPH_END = /[.!?\u2026\u3002\uFF01\uFF1F]+["'\u2019\u201D)\]\u00BB]*(?=\s|$)|\n[ \t]*\n/g;

export function splitSentences(text: string, maxSentenceLength = 1000): Span[] {
  const spans: Span[] = [];
  let start = 0;
  for (const match of text.matchAll(SENTENCE_OR_PARAGRAPH_END)) {
    const end = (match.index ?? 0) + (match[0].startsWith('\n') ? 0 : match[0].length);
    pushTrimmed(text, start, end, spans);
    start = (match.index ?? 0) + match[0].length;
  }
  pushTrimmed(text, start, text.length, spans);
  return spans.flatMap((span) => (span.end - span.start > maxSentenceLength ? splitLongSpan(text, span, maxSentenceLength) : [span]));
}

function pushTrimmed(text: string, start: number, end: number, into: Span[]): void {
  let from = start;
  let to = end;
  while (from < to && /\s/.test(text[from])) from++;
  while (to > from && /\s/.test(text[to - 1])) to--;
  if (to > from) into.push({ start: from, end: to });
}

function splitLongSpan(text: string, span: Span, maxLength: number): Span[] {
  const pieces: Span[] = [];
  let start = span.start;
  while (span.end - start > maxLength) {
    const limit = start + maxLength;
    const slice = text.slice(start, limit);
    const newline = slice.lastIndexOf('\n');
    const space = slice.lastIndexOf(' ');
    const cut = newline > maxLength / 2 ? start + newline : space > maxLength / 2 ? start + space : limit;
    pushTrimmed(text, start, cut, pieces);
    start = cut;
  }
  pushTrimmed(text, start, span.end, pieces);
  return pieces;
}
