import { countTokens } from 'gpt-tokenizer';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS, type Chunk, type ChunkOptions } from '../../../src/domain/chunking';
import type { ParsedDocument } from '../../../src/domain/parsers';

function textDocument(text: string, segments: ParsedDocument['segments'] = [{ start: 0, end: text.length }]): ParsedDocument {
  return { fileName: 'test.txt', format: 'text', text, segments, metadata: {} };
}

function expectExactSlices(doc: ParsedDocument, chunks: Chunk[]): void {
  chunks.forEach((chunk, index) => {
    expect(chunk.index).toBe(index);
    expect(doc.text.slice(chunk.start, chunk.end)).toBe(chunk.text);
    expect(chunk.contentHash).toBe(createHash('sha256').update(chunk.text).digest('hex'));
  });
}

// Deterministic prose: numbered sentences of varying length, paragraphs of four sentences.
function prose(sentences: number): string {
  const paragraphs: string[] = [];
  for (let p = 0; p < sentences / 4; p++) {
    const body: string[] = [];
    for (let s = 0; s < 4; s++) {
      const n = p * 4 + s;
      body.push(`Sentence ${n} talks about item ${n} and ${'detail '.repeat(5 + (n % 7)).trim()}.`);
    }
    paragraphs.push(body.join(' '));
  }
  return paragraphs.join('\n\n');
}

const sliding = (overrides: Partial<ChunkOptions> = {}): ChunkOptions => ({ ...DEFAULT_CHUNK_OPTIONS, strategy: 'sliding', ...overrides });

describe('sliding and basic chunking', () => {
  it('cuts text without any boundary into exact sizes with exact overlaps', async () => {
    const text = 'abcdefghij'.repeat(1500); // 15,000 characters, no spaces
    const doc = textDocument(text);
    const chunks = await chunkDocument(doc, sliding({ chunkSize: 4000, overlap: 200 }));
    expect(chunks.map((chunk) => chunk.text.length)).toEqual([4000, 4000, 4000, 3600]);
    expect(chunks.map((chunk) => chunk.start)).toEqual([0, 3800, 7600, 11400]);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i - 1].end - chunks[i].start).toBe(200);
    expect(chunks[chunks.length - 1].end).toBe(text.length);
    expectExactSlices(doc, chunks);
  });

  it('prefers paragraph and sentence ends near the limit, and overlaps exactly', async () => {
    const text = prose(400);
    const doc = textDocument(text);
    const chunks = await chunkDocument(doc, sliding({ chunkSize: 2000, overlap: 150 }));
    expect(chunks.length).toBeGreaterThan(5);
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk.text.length).toBeLessThanOrEqual(2000);
      if (i < chunks.length - 1) {
        expect(chunk.text.length).toBeGreaterThanOrEqual(1600); // cut within the last 20%
        expect(chunk.text).toMatch(/\.$/); // at a sentence or paragraph end
      }
      if (i > 0) expect(chunks[i - 1].end - chunk.start).toBe(150);
    }
    expectExactSlices(doc, chunks);
  });

  it('basic chunking covers the text with no overlap and no lost words', async () => {
    const text = prose(300);
    const doc = textDocument(text);
    const chunks = await chunkDocument(doc, { ...DEFAULT_CHUNK_OPTIONS, strategy: 'basic', chunkSize: 1500, overlap: 0 });
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i].start).toBeGreaterThanOrEqual(chunks[i - 1].end);
      expect(text.slice(chunks[i - 1].end, chunks[i].start).trim()).toBe('');
    }
    expect(
      chunks
        .map((chunk) => chunk.text)
        .join(' ')
        .split(/\s+/),
    ).toEqual(text.split(/\s+/));
    expectExactSlices(doc, chunks);
  });

  it('keeps documents below wholeDocumentBelow as one chunk', async () => {
    const text = prose(40);
    expect(text.length).toBeLessThan(8000);
    const chunks = await chunkDocument(textDocument(text), sliding({ chunkSize: 500 }));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ index: 0, start: 0, end: text.length, text });
  });

  it('returns no chunks for an empty text', async () => {
    expect(await chunkDocument(textDocument(''), sliding())).toEqual([]);
  });

  it('rejects impossible options', async () => {
    await expect(chunkDocument(textDocument('x'), sliding({ chunkSize: 100, overlap: 100 }))).rejects.toThrow(/overlap \(100\) must be smaller than chunkSize/);
    await expect(chunkDocument(textDocument('x'), sliding({ chunkSize: 0 }))).rejects.toThrow(/chunkSize must be a positive integer/);
    await expect(chunkDocument(textDocument('x'), { ...DEFAULT_CHUNK_OPTIONS, strategy: 'semantic' })).rejects.toThrow(/needs an embed/);
  });
});

describe('token chunking', () => {
  it('keeps every chunk within the token budget and overlaps consecutive chunks', async () => {
    const text = prose(300);
    const doc = textDocument(text);
    const chunks = await chunkDocument(doc, { ...DEFAULT_CHUNK_OPTIONS, strategy: 'token', chunkSize: 300, overlap: 30, wholeDocumentBelow: 0 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk.tokenCount).toBe(countTokens(chunk.text));
      expect(chunk.tokenCount).toBeLessThanOrEqual(300);
      if (i < chunks.length - 1) expect(chunk.tokenCount).toBeGreaterThan(200);
      if (i > 0) {
        expect(chunk.start).toBeLessThan(chunks[i - 1].end);
        const overlapTokens = countTokens(text.slice(chunk.start, chunks[i - 1].end));
        expect(overlapTokens).toBeGreaterThanOrEqual(28);
        expect(overlapTokens).toBeLessThanOrEqual(32);
      }
    }
    expectExactSlices(doc, chunks);
  });
});

describe('provenance', () => {
  it('gives each chunk the pages its text came from', async () => {
    const pages = ['first page text. '.repeat(150).trim(), 'second page text. '.repeat(150).trim(), 'third page text. '.repeat(150).trim()];
    let offset = 0;
    const segments = pages.map((page, i) => {
      const segment = { start: offset, end: offset + page.length, page: i + 1 };
      offset += page.length + 2;
      return segment;
    });
    const doc: ParsedDocument = { fileName: 'a.pdf', format: 'pdf', text: pages.join('\n\n'), segments, metadata: {} };
    const chunks = await chunkDocument(doc, sliding({ chunkSize: 4000, overlap: 100, wholeDocumentBelow: 1000 }));
    expect(chunks[0].pages).toEqual([1, 2]);
    expect(chunks[chunks.length - 1].pages).toEqual([2, 3]);
    for (const chunk of chunks) {
      const expected = segments.filter((segment) => segment.start < chunk.end && segment.end > chunk.start).map((segment) => segment.page);
      expect(chunk.pages).toEqual(expected);
    }
  });

  it('gives slide numbers and caption times', async () => {
    const slides: ParsedDocument = {
      fileName: 'deck.pptx',
      format: 'pptx',
      text: 'Slide one\n\nSlide two',
      segments: [
        { start: 0, end: 9, slide: 1 },
        { start: 11, end: 20, slide: 2 },
      ],
      metadata: {},
    };
    expect((await chunkDocument(slides, sliding()))[0].slides).toEqual([1, 2]);
    const transcript: ParsedDocument = {
      fileName: 'https://www.youtube.com/watch?v=x',
      format: 'youtube',
      text: 'hello\nworld',
      segments: [
        { start: 0, end: 5, timestampSec: 1.5 },
        { start: 6, end: 11, timestampSec: 4 },
      ],
      metadata: {},
    };
    expect((await chunkDocument(transcript, sliding()))[0]).toMatchObject({ startTimeSec: 1.5, endTimeSec: 4 });
  });
});
