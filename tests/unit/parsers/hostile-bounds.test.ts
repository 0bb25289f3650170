// The up-front bounds on hostile documents: HTML depth and element count measured before any DOM is built, PDF
// page counts read before any page, DOCX/PPTX parts with a DOCTYPE or escaping zip entry names, late NUL bytes.
import { describe, expect, it } from 'vitest';
import { DocumentError, parseDocument } from '../../../src/domain/parsers';
import { measureHtml } from '../../../src/domain/parsers/html-bounds';
import { billionLaughsDocx, externalEntityDocx, manyPagePdf, nestedHtml, zipSlipDocx } from '../../chaos/hostile-files';

const bytes = (text: string | Buffer) => new Uint8Array(typeof text === 'string' ? Buffer.from(text) : text);

async function refusal(fileName: string, data: string | Buffer, options = {}): Promise<DocumentError> {
  const error = await parseDocument({ fileName, bytes: bytes(data) }, options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DocumentError);
  return error as DocumentError;
}

describe('measureHtml', () => {
  it('measures nesting and element count in one linear pass', () => {
    expect(measureHtml(nestedHtml(20_000))).toMatchObject({ depth: 20_000 });
    expect(measureHtml('<ul><li>a<li>b</ul><p>one<p>two<br><img src=x>')).toEqual({ depth: 1, elements: 7 });
  });

  it('does not count what is not markup: comments, scripts, and stray end tags', () => {
    const html = `<div><!-- <div><div><div> --><script>${'<div>'.repeat(100)}</script></span></x><div></div></div>`;
    expect(measureHtml(html)).toEqual({ depth: 2, elements: 3 });
  });

  it('stays fast on a 2 MB page nested 200,000 deep', () => {
    const started = Date.now();
    expect(measureHtml(nestedHtml(200_000)).depth).toBe(200_000);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('parsers refuse hostile documents up front', () => {
  it('HTML nested deeper than the limit, naming the depth, the limit and the setting', async () => {
    const error = await refusal('deep.html', nestedHtml(20_000));
    expect(error.code).toBe('limit_exceeded');
    expect(error.message).toContain('deep.html: elements nested too deep: 20,000; limit 512');
    expect(error.hint).toContain('ingest.max_html_depth');
    const custom = await refusal('deep.html', nestedHtml(300), { maxHtmlDepth: 100 });
    expect(custom.message).toContain('300; limit 100');
  });

  it('HTML with more elements than the limit', async () => {
    const error = await refusal('flat.html', `<html><body>${'<span>x</span>'.repeat(1_000)}</body></html>`, { maxHtmlElements: 500 });
    expect(error.code).toBe('limit_exceeded');
    expect(error.hint).toContain('ingest.max_html_elements');
  });

  it('a valid PDF with more pages than the limit, and reads one within it', async () => {
    const error = await refusal('long.pdf', manyPagePdf(30), { maxPdfPages: 20 });
    expect(error.message).toContain('too many pages: 30; limit 20');
    const parsed = await parseDocument({ fileName: 'ok.pdf', bytes: bytes(manyPagePdf(3)) });
    expect(parsed.metadata.pageCount).toBe(3);
    expect(parsed.text).toContain('A page of a very long document.');
  });

  it('DOCX with entity expansion or an external entity, before any XML parser sees it', async () => {
    for (const [name, data] of [
      ['laughs.docx', billionLaughsDocx()],
      ['xxe.docx', externalEntityDocx('/etc/passwd')],
    ] as const) {
      const error = await refusal(name, data);
      expect(error.code).toBe('unsafe_content');
      expect(error.message).toContain('DOCTYPE');
    }
  });

  it('DOCX with a zip entry whose name leaves the package', async () => {
    const error = await refusal('slip.docx', zipSlipDocx());
    expect(error.code).toBe('unsafe_content');
    expect(error.message).toContain('../../../../tmp/datacreek-zip-slip.sh');
  });

  it('text with a NUL byte past the sniffed head', async () => {
    const error = await refusal('late.txt', Buffer.concat([Buffer.from('words '.repeat(20_000)), Buffer.from([0]), Buffer.from('tail')]));
    expect(error.code).toBe('binary_content');
    expect(error.message).toContain('NUL byte at offset 120000');
  });
});
