// Turns a span of a document into a Chunk: its text, the pages / slides / caption times it came
// from (from the document's segments), and its content hash.
import { createHash } from 'node:crypto';
import type { DocumentSegment, ParsedDocument } from '../parsers';
import type { Chunk, Span } from './types';

export function toChunk(doc: ParsedDocument, span: Span, index: number): Chunk {
  const text = doc.text.slice(span.start, span.end);
  const chunk: Chunk = { index, text, start: span.start, end: span.end, contentHash: sha256(text) };
  const pages = new Set<number>();
  const slides = new Set<number>();
  const times: number[] = [];
  for (const segment of overlappingSegments(doc.segments, span)) {
    if (segment.page !== undefined) pages.add(segment.page);
    if (segment.slide !== undefined) slides.add(segment.slide);
    if (segment.timestampSec !== undefined) times.push(segment.timestampSec);
  }
  if (pages.size > 0) chunk.pages = [...pages].sort((a, b) => a - b);
  if (slides.size > 0) chunk.slides = [...slides].sort((a, b) => a - b);
  if (times.length > 0) {
    chunk.startTimeSec = Math.min(...times);
    chunk.endTimeSec = Math.max(...times);
  }
  return chunk;
}

/** Segments are sorted and disjoint, so a binary search finds the first one that can overlap. */
function* overlappingSegments(segments: DocumentSegment[], span: Span): Generator<DocumentSegment> {
  let low = 0;
  let high = segments.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (segments[middle].end <= span.start) low = middle + 1;
    else high = middle;
  }
  for (let i = low; i < segments.length && segments[i].start < span.end; i++) yield segments[i];
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
