import { beforeAll, describe, expect, it } from 'vitest';
import { DocumentError, parseDocument, type ParsedDocument } from '../../../src/domain/parsers';
import { buildZip } from '../../../testkit/zip';
import { fixture } from './fixtures';

async function documentError(promise: Promise<unknown>): Promise<DocumentError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DocumentError);
  return error as DocumentError;
}

function slideOf(doc: ParsedDocument, phrase: string): number | undefined {
  const at = doc.text.indexOf(phrase);
  if (at < 0) return undefined;
  return doc.segments.find((segment) => segment.start <= at && at < segment.end)?.slide;
}

describe('DOCX', () => {
  let paper: ParsedDocument;
  let sample: ParsedDocument;
  beforeAll(async () => {
    paper = await parseDocument(fixture('docx/markitdown_test_autogen.docx'));
    sample = await parseDocument(fixture('docx/docling_word_sample.docx'));
  });

  it('extracts paragraphs, headings and the marker', () => {
    expect(paper.format).toBe('docx');
    expect(paper.text).toContain('d666f1f7-46cb-42bd-9a39-9a39cf2a509f');
    expect(paper.text).toMatch(/^Abstract$/m);
    expect(paper.text).toContain('AutoGen is an open-source framework that allows developers to build LLM applications');
    expect(paper.title).toBe('AutoGen: Enabling Next-Gen LLM Applications via Multi-Agent Conversation');
  });

  it('keeps table rows together', () => {
    expect(paper.text).toContain('13 | 14 | 49e168b7-d2ae-407f-a055-2167576f39a1 | 15 | 16 | 17');
    expect(sample.text).toContain('Berries | Blueberry, Strawberry, Cranberry | 150');
  });

  it('keeps bulleted and numbered lists', () => {
    expect(sample.text).toContain('- You can relax and look around\n- Paddle about\n- Enjoy summer warmth');
    expect(sample.text).toContain('1. Wear sunglasses\n2. Don’t forget to drink water\n3. Use sun cream');
  });

  it('can render Markdown headings', async () => {
    const markdown = await parseDocument(fixture('docx/docling_word_sample.docx'), { markdown: true });
    expect(markdown.text).toMatch(/^# Let’s swim!$/m);
    expect(markdown.text).toMatch(/^## Let’s eat$/m);
  });
});

describe('PPTX', () => {
  let deck: ParsedDocument;
  let sample: ParsedDocument;
  beforeAll(async () => {
    deck = await parseDocument(fixture('pptx/markitdown_test_autogen.pptx'));
    sample = await parseDocument(fixture('pptx/docling_powerpoint_sample.pptx'));
  });

  it('gives every slide its own segment with its slide number', () => {
    expect(deck.format).toBe('pptx');
    expect(deck.segments.map((segment) => segment.slide)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(slideOf(deck, '2cdda5c8-e50e-4db4-b5f0-9722a649f455')).toBe(2);
    expect(slideOf(deck, 'A Nested Shape parsing')).toBe(5);
    expect(slideOf(deck, 'This is a nested shape with content in 2 shapes')).toBe(5);
  });

  it('reads tables as rows and charts by their title', () => {
    expect(deck.text).toContain('7 | 8 | 9 | 1b92870d-e3b5-4e65-8153-919f4ff45592 | 11 | 12');
    expect(slideOf(deck, '1b92870d-e3b5-4e65-8153-919f4ff45592')).toBe(3);
    expect(slideOf(deck, 'Chart: a3f6004b-6f4f-4ea8-bee3-3741f4dc385f')).toBe(4);
  });

  it('puts the title first and attaches speaker notes to the right slide', () => {
    const slide2 = sample.segments.find((segment) => segment.slide === 2)!;
    expect(sample.text.slice(slide2.start, slide2.end).startsWith('Second slide title\n')).toBe(true);
    expect(slideOf(sample, 'Some notes on the second slide.')).toBe(2);
    expect(slideOf(sample, 'Final notes on the third slide.')).toBe(3);
    expect(sample.metadata.slideTitles).toEqual(['Test Table Slide', 'Second slide title', null]);
  });
});

describe('Office package guards', () => {
  it('refuses a DOCX zip bomb from its central directory, before inflating', async () => {
    // 4 GB declared in a file of a few hundred bytes.
    const bytes = buildZip([
      { name: '[Content_Types].xml', content: '<Types/>' },
      { name: 'word/document.xml', content: '<w:document/>', declaredSize: 0xfffffff0 },
    ]);
    expect(bytes.length).toBeLessThan(1024);
    const error = await documentError(parseDocument({ fileName: 'bomb.docx', bytes }));
    expect(error.code).toBe('zip_bomb');
    expect(error.message).toContain('bomb.docx');
    expect(error.message).toContain('200.0 MB limit');
  });

  it('applies a configurable limit to PPTX packages', async () => {
    const bytes = buildZip([
      { name: 'ppt/presentation.xml', content: '<p:presentation/>' },
      { name: 'ppt/media/image1.png', content: 'x', declaredSize: 5 * 1024 * 1024 },
    ]);
    const error = await documentError(parseDocument({ fileName: 'deck.pptx', bytes }, { maxUncompressedBytes: 1024 * 1024 }));
    expect(error.code).toBe('zip_bomb');
    expect(error.message).toContain('1.0 MB limit');
  });

  it('refuses an entry that inflates to more than it declares', async () => {
    const bytes = buildZip([{ name: 'word/document.xml', content: 'a'.repeat(1_000_000), declaredSize: 100 }]);
    const error = await documentError(parseDocument({ fileName: 'liar.docx', bytes }));
    expect(error.code).toBe('zip_bomb');
    expect(error.message).toContain('word/document.xml');
  });

  it('explains password-protected or legacy Office files', async () => {
    const ole = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...new Array(504).fill(0)]);
    const error = await documentError(parseDocument({ fileName: 'secret.docx', bytes: ole }));
    expect(error.code).toBe('unsupported_format');
    expect(error.hint).toContain('libreoffice --headless --convert-to docx');
  });

  it('refuses a zip that is not a Word document', async () => {
    const error = await documentError(parseDocument({ fileName: 'archive.docx', bytes: buildZip([{ name: 'readme.txt', content: 'hello' }]) }));
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toContain('word/document.xml');
  });
});
