// Word documents via mammoth: paragraphs, headings, lists and tables survive as structure (mammoth
// maps Word styles to HTML, which is then rendered like any other article). Images are dropped.
import mammoth from 'mammoth';
import { parseHTML } from 'linkedom';
import type { DomDocument } from './dom-types';
import { DocumentError } from './errors';
import { renderElementAsText, renderHtmlAsMarkdown } from './html-render';
import { openOfficePackage, readCoreProperties } from './office-package';
import { TextAssembler } from './text-assembly';
import { DEFAULT_MAX_UNCOMPRESSED_BYTES, type ParsedDocument, type ParseOptions } from './types';

// Word's built-in title styles are not mapped by mammoth's defaults; without this they become
// plain paragraphs and the document loses its top-level heading.
const STYLE_MAP = ["p[style-name='Title'] => h1:fresh", "p[style-name='Subtitle'] => h2:fresh"];

export async function parseDocx(fileName: string, bytes: Uint8Array, options: ParseOptions): Promise<ParsedDocument> {
  const archive = openOfficePackage(fileName, bytes, 'docx', options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES);
  // mammoth inflates entries itself without a size cap; prove first that none lies about its size.
  archive.verifyDeclaredSizes();
  const properties = readCoreProperties(archive);

  let html: string;
  let warnings: string[];
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      { styleMap: STYLE_MAP, convertImage: mammoth.images.imgElement(async () => ({ src: '' })) },
    );
    html = result.value;
    warnings = result.messages.map((message) => message.message);
  } catch (error) {
    throw new DocumentError(
      'corrupt_file',
      fileName,
      `is a damaged Word document (${error instanceof Error ? error.message : String(error)})`,
      'Open it in Word or LibreOffice and save it again as .docx',
      { cause: error },
    );
  }

  const document = parseHTML(`<!doctype html><html><body>${html}</body></html>`).document as unknown as DomDocument;
  const rendered = options.markdown ? renderHtmlAsMarkdown(html) : renderElementAsText(document.body ?? document.documentElement);
  const assembler = new TextAssembler();
  assembler.add(rendered);
  if (assembler.text.length === 0) {
    throw new DocumentError('empty_document', fileName, 'contains no text', 'Check that it is the intended file; text inside images needs OCR');
  }
  const firstHeading = document.querySelector('h1, h2')?.textContent?.trim() || undefined;
  return {
    fileName,
    format: 'docx',
    title: properties.title ?? firstHeading,
    text: assembler.text,
    segments: assembler.segments,
    metadata: { author: properties.author, created: properties.created, modified: properties.modified, markdown: options.markdown === true, warnings },
  };
}
