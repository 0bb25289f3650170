import { describe, expect, it } from 'vitest';
import { DocumentError, detectFormat, parseDocument } from '../../../src/domain/parsers';
import { fixture } from './fixtures';

async function documentError(promise: Promise<unknown>): Promise<DocumentError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DocumentError);
  return error as DocumentError;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('TXT and Markdown', () => {
  it('keeps Markdown as written and takes the first heading as title', async () => {
    const doc = await parseDocument(fixture('markdown/moo_deng_wikipedia.md'));
    expect(doc.format).toBe('markdown');
    expect(doc.title).toBe('Moo Deng');
    expect(doc.text).toContain('is a pygmy hippopotamus living in Khao Kheow Open Zoo');
    expect(doc.segments).toEqual([{ start: 0, end: doc.text.length }]);
  });

  it('normalizes line ends, invisible characters and blank runs', async () => {
    const doc = await parseDocument({ fileName: 'notes.txt', bytes: utf8('\uFEFFfirst\u200B line\r\n\r\n\r\n\r\nsecond\u00A0line  \r\n') });
    expect(doc.format).toBe('text');
    expect(doc.text).toBe('first line\n\nsecond line');
  });

  it('refuses a binary file renamed .txt, and says what it really is', async () => {
    const { bytes } = fixture('pdf/password_protected.pdf');
    const error = await documentError(parseDocument({ fileName: 'report.txt', bytes }));
    expect(error.code).toBe('binary_content');
    expect(error.message).toContain('report.txt');
    expect(error.hint).toContain('.pdf');
  });

  it('refuses control-character noise even without NUL bytes', async () => {
    const noise = new Uint8Array(2000).map((_, i) => (i % 3 === 0 ? 0x01 : 0x41));
    const error = await documentError(parseDocument({ fileName: 'dump.txt', bytes: noise }));
    expect(error.code).toBe('binary_content');
  });

  it('refuses Latin-1 text with the encoding problem and the iconv fix', async () => {
    const latin1 = new Uint8Array(Buffer.from('Caf\u00e9 cr\u00e8me, na\u00efve r\u00e9sum\u00e9', 'latin1'));
    const error = await documentError(parseDocument({ fileName: 'menu.txt', bytes: latin1 }));
    expect(error.code).toBe('not_utf8');
    expect(error.message).toContain('menu.txt');
    expect(error.message).toContain('byte 0xE9 at offset 3');
    expect(error.hint).toContain('iconv -f latin1 -t utf-8');
  });

  it('decodes Latin-1 when the caller names the encoding', async () => {
    const latin1 = new Uint8Array(Buffer.from('Caf\u00e9 cr\u00e8me', 'latin1'));
    const doc = await parseDocument({ fileName: 'menu.txt', bytes: latin1 }, { encoding: 'latin1' });
    expect(doc.text).toBe('Café crème');
  });

  it('explains UTF-16 files instead of calling them binary', async () => {
    const utf16 = new Uint8Array([0xff, 0xfe, ...Buffer.from('hello', 'utf16le')]);
    const error = await documentError(parseDocument({ fileName: 'export.txt', bytes: utf16 }));
    expect(error.code).toBe('not_utf8');
    expect(error.hint).toContain('iconv -f utf-16le');
  });

  it('refuses empty and whitespace-only files', async () => {
    expect((await documentError(parseDocument({ fileName: 'empty.txt', bytes: new Uint8Array() }))).code).toBe('empty_document');
    expect((await documentError(parseDocument({ fileName: 'blank.md', bytes: utf8('  \n\n\t \n') }))).code).toBe('empty_document');
    expect((await documentError(parseDocument({ fileName: 'empty.pdf', bytes: new Uint8Array() }))).message).toContain('empty.pdf');
  });

  it('refuses a file over the size limit before parsing it', async () => {
    const error = await documentError(parseDocument({ fileName: 'huge.txt', bytes: utf8('x'.repeat(2048)) }, { maxBytes: 1024 }));
    expect(error.code).toBe('too_large');
    expect(error.message).toContain('huge.txt');
    expect(error.message).toContain('1.0 KB limit');
  });

  it('refuses unsupported formats with advice', async () => {
    const error = await documentError(parseDocument({ fileName: 'old.doc', bytes: utf8('whatever') }));
    expect(error.code).toBe('unsupported_format');
    expect(error.hint).toContain('--convert-to docx');
  });
});

describe('detectFormat', () => {
  it('uses the extension first', () => {
    expect(detectFormat('a.PDF')).toBe('pdf');
    expect(detectFormat('page.htm')).toBe('html');
    expect(detectFormat('notes.markdown')).toBe('markdown');
    expect(detectFormat('data.csv')).toBeNull();
  });

  it('sniffs the content of files without a known extension', () => {
    expect(detectFormat('download', fixture('pdf/password_protected.pdf').bytes)).toBe('pdf');
    expect(detectFormat('download', fixture('docx/docling_word_sample.docx').bytes)).toBe('docx');
    expect(detectFormat('download', fixture('pptx/docling_powerpoint_sample.pptx').bytes)).toBe('pptx');
    expect(detectFormat('download', utf8('<!DOCTYPE html><html><body>x</body></html>'))).toBe('html');
    expect(detectFormat('download', utf8('plain words'))).toBeNull();
  });
});
