import { beforeAll, describe, expect, it } from 'vitest';
import { DocumentError, parseDocument, type ParsedDocument } from '../../../src/domain/parsers';
import { layoutPageText, type PositionedText } from '../../../src/domain/parsers/pdf-layout';
import { fixture } from './fixtures';

async function expectDocumentError(promise: Promise<unknown>): Promise<DocumentError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DocumentError);
  return error as DocumentError;
}

function pageOf(doc: ParsedDocument, phrase: string): number | undefined {
  const at = doc.text.indexOf(phrase);
  return doc.segments.find((segment) => segment.start <= at && at < segment.end)?.page;
}

describe('PDF with a text layer', () => {
  let prose: ParsedDocument;
  let korean: ParsedDocument;
  beforeAll(async () => {
    prose = await parseDocument(fixture('pdf/multi_page.pdf'));
    korean = await parseDocument(fixture('pdf/normal_4pages_korean.pdf'));
  });

  it('extracts the text of every page with its page number', () => {
    expect(prose.format).toBe('pdf');
    expect(prose.metadata.pageCount).toBe(5);
    expect(prose.segments.map((segment) => segment.page)).toEqual([1, 2, 3, 4, 5]);
    expect(pageOf(prose, 'The Evolution of the Word Processor')).toBe(1);
    expect(pageOf(prose, 'Patented in 1868 by Christopher Latham Sholes')).toBe(1);
    expect(pageOf(prose, 'Specialized Word Processing Tools')).toBe(3);
    expect(pageOf(prose, 'The journey of the word processor')).toBe(5);
  });

  it('keeps segments as exact, ordered, non-overlapping spans of the text', () => {
    for (const [i, segment] of prose.segments.entries()) {
      expect(segment.end).toBeGreaterThan(segment.start);
      if (i > 0) expect(segment.start).toBeGreaterThan(prose.segments[i - 1].end);
      expect(prose.text.slice(segment.start, segment.end).trim()).toBe(prose.text.slice(segment.start, segment.end));
    }
  });

  it('reads a two-column page column by column', () => {
    // Page 2: the left column ends mid-word ("이번에 개") and the right column continues it.
    const leftColumnEnd = korean.text.indexOf('A형간염”이었으나 이번에 개');
    const rightColumnStart = korean.text.indexOf('정된 법에서 이들은 제2급감염병으로 변경되었다.');
    const rightColumnHeading = korean.text.indexOf('(2) 생명보험 표준약관 재해분류표');
    expect(leftColumnEnd).toBeGreaterThan(0);
    expect(rightColumnStart).toBeGreaterThan(leftColumnEnd);
    expect(rightColumnHeading).toBeGreaterThan(rightColumnStart);
    expect(pageOf(korean, '정된 법에서 이들은')).toBe(2);
    expect(korean.title).toBe('코로나-19 관련 보험약관상 재해보험금 지급문제 및 개선과제');
  });

  it('refuses an encrypted PDF with its own code, naming the file and the fix', async () => {
    const error = await expectDocumentError(parseDocument(fixture('pdf/password_protected.pdf')));
    expect(error.code).toBe('encrypted_pdf');
    expect(error.fileName).toBe('password_protected.pdf');
    expect(error.message).toContain('password_protected.pdf');
    expect(error.hint).toContain('qpdf --decrypt');
  });

  it('refuses an image-only PDF and says to run OCR', async () => {
    const error = await expectDocumentError(parseDocument(fixture('pdf/ocr_test_no_text_layer.pdf')));
    expect(error.code).toBe('no_text_layer');
    expect(error.message).toContain('ocr_test_no_text_layer.pdf');
    expect(error.hint).toContain('ocrmypdf');
  });

  it('refuses a truncated PDF instead of ingesting what survives', async () => {
    const { bytes } = fixture('pdf/multi_page.pdf');
    const error = await expectDocumentError(parseDocument({ fileName: 'cut.pdf', bytes: bytes.slice(0, Math.floor(bytes.length * 0.6)) }));
    expect(error.code).toBe('truncated_file');
    expect(error.message).toContain('cut.pdf');
    expect(error.message).toContain('truncated');
  });

  it('refuses a file named .pdf that is not a PDF', async () => {
    const error = await expectDocumentError(parseDocument({ fileName: 'notes.pdf', bytes: new TextEncoder().encode('just some text, not a PDF at all') }));
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toContain('notes.pdf');
  });
});

describe('PDF page layout', () => {
  const line = (str: string, x: number, y: number, width = 200): PositionedText => ({ str, x, y, width, fontSize: 10 });

  it('restores column order when the producer drew the columns interleaved', () => {
    // Drawing order goes across the page row by row, as some report generators do.
    const items: PositionedText[] = [];
    for (let row = 0; row < 6; row++) {
      items.push(line(`left ${row}`, 50, 700 - row * 12));
      items.push(line(`right ${row}`, 320, 700 - row * 12));
    }
    const text = layoutPageText(items, 612);
    expect(text.split(/\n+/)).toEqual([
      'left 0',
      'left 1',
      'left 2',
      'left 3',
      'left 4',
      'left 5',
      'right 0',
      'right 1',
      'right 2',
      'right 3',
      'right 4',
      'right 5',
    ]);
  });

  it('reads a full-width title before the columns and keeps words of one line together', () => {
    const items: PositionedText[] = [line('Title', 50, 760, 40), line('spanning', 95, 760, 60)];
    for (let row = 0; row < 4; row++) items.push(line(`L${row}`, 50, 700 - row * 12), line(`R${row}`, 320, 700 - row * 12));
    const text = layoutPageText(items, 612);
    expect(text.startsWith('Title spanning\n\n')).toBe(true);
    expect(text.indexOf('L3')).toBeLessThan(text.indexOf('R0'));
  });

  it('does not split a narrow key/value table into columns', () => {
    const items: PositionedText[] = [];
    for (let row = 0; row < 5; row++) items.push(line(`key${row}`, 350, 400 - row * 14, 30), line(`value${row}`, 400, 400 - row * 14, 60));
    expect(layoutPageText(items, 612).split('\n')[0]).toBe('key0 value0');
  });
});
