// Splits a parsed document into chunks with provenance. Small documents stay whole; larger ones are
// cut by one of four strategies (see ChunkOptions). Every chunk is an exact slice of the document
// text, so its offsets, pages/slides and hash always describe precisely what the chunk holds.
import { countTokens } from 'gpt-tokenizer';
import type { ParsedDocument } from '../parsers';
import { characterMeasure, createTokenMeasure } from './measure';
import { toChunk } from './provenance';
import { semanticSpans } from './semantic';
import { DEFAULT_SIMILARITY_DROP, type Chunk, type ChunkOptions, type Span } from './types';
import { splitIntoWindows } from './window-splitter';

export type { Chunk, ChunkOptions, ChunkStrategy } from './types';
export { DEFAULT_CHUNK_OPTIONS } from './types';
export { cosineSimilarity } from './semantic';

const DEFAULT_EMBED_BATCH_SIZE = 64;

export async function chunkDocument(doc: ParsedDocument, opts: ChunkOptions): Promise<Chunk[]> {
  validate(opts);
  const text = doc.text;
  if (text.trim().length === 0) return [];
  const spans: Span[] = text.length < opts.wholeDocumentBelow ? [{ start: 0, end: text.length }] : await spansFor(text, opts);
  return spans.map((span, index) => {
    const chunk = toChunk(doc, span, index);
    if (opts.strategy === 'token') chunk.tokenCount = span.units ?? countTokens(chunk.text);
    return chunk;
  });
}

async function spansFor(text: string, opts: ChunkOptions): Promise<Span[]> {
  switch (opts.strategy) {
    case 'basic':
      return splitIntoWindows(text, { size: opts.chunkSize, overlap: 0, measure: characterMeasure });
    case 'sliding':
      return splitIntoWindows(text, { size: opts.chunkSize, overlap: opts.overlap, measure: characterMeasure });
    case 'token':
      return splitIntoWindows(text, { size: opts.chunkSize, overlap: opts.overlap, measure: createTokenMeasure(text) });
    case 'semantic':
      return semanticSpans(text, {
        chunkSize: opts.chunkSize,
        similarityDrop: opts.similarityDrop ?? DEFAULT_SIMILARITY_DROP,
        embed: opts.embed!,
        embedBatchSize: opts.embedBatchSize ?? DEFAULT_EMBED_BATCH_SIZE,
      });
  }
}

function validate(opts: ChunkOptions): void {
  const problems: string[] = [];
  if (!['basic', 'sliding', 'semantic', 'token'].includes(opts.strategy))
    problems.push(`strategy must be basic, sliding, semantic or token (got ${String(opts.strategy)})`);
  if (!Number.isInteger(opts.chunkSize) || opts.chunkSize < 1) problems.push(`chunkSize must be a positive integer (got ${opts.chunkSize})`);
  if (!Number.isInteger(opts.overlap) || opts.overlap < 0) problems.push(`overlap must be a non-negative integer (got ${opts.overlap})`);
  else if (opts.overlap >= opts.chunkSize && opts.strategy !== 'basic' && opts.strategy !== 'semantic')
    problems.push(`overlap (${opts.overlap}) must be smaller than chunkSize (${opts.chunkSize})`);
  if (!(opts.wholeDocumentBelow >= 0)) problems.push(`wholeDocumentBelow must be 0 or more (got ${opts.wholeDocumentBelow})`);
  if (opts.strategy === 'semantic') {
    if (typeof opts.embed !== 'function') problems.push('the semantic strategy needs an embed(texts) function');
    if (opts.similarityDrop !== undefined && !(opts.similarityDrop >= 0 && opts.similarityDrop <= 2))
      problems.push(`similarityDrop must be between 0 and 2 (got ${opts.similarityDrop})`);
  }
  if (problems.length > 0) throw new RangeError(`Invalid chunk options: ${problems.join('; ')}`);
}
