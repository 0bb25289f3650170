// PDF with a text layer, via unpdf (a serverless build of Mozilla's PDF.js). Each page's text is
// laid out in reading order and becomes one segment carrying its page number. Encrypted, scanned
// (no text layer), truncated and otherwise broken files each fail with their own error and fix.
import { getDocumentProxy, getMeta } from 'unpdf';
import { DocumentError, limitExceeded } from './errors';
import { layoutPageText, type PositionedText } from './pdf-layout';
import { TextAssembler } from './text-assembly';
import { DEFAULT_MAX_PDF_PAGES, type ParsedDocument } from './types';

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>;

/** Letters or digits needed before a document counts as having a text layer at all. */
const MIN_TEXT_CHARACTERS = 1;

export async function parsePdf(fileName: string, bytes: Uint8Array, maxPages = DEFAULT_MAX_PDF_PAGES): Promise<ParsedDocument> {
  assertLooksLikeCompletePdf(fileName, bytes);
  const pdf = await openPdf(fileName, bytes);
  try {
    // The page count comes from the page tree alone, so an enormous document is refused before any page is read.
    if (pdf.numPages > maxPages) throw limitExceeded(fileName, 'too many pages', pdf.numPages, maxPages, 'ingest.max_pdf_pages');
    const assembler = new TextAssembler();
    const pagesWithoutText: number[] = [];
    for (let pageNumber = 1; pageNumber <= pdf.numPages; pageNumber++) {
      const pageText = await readPageText(pdf, pageNumber, fileName);
      if (!assembler.add(pageText, { page: pageNumber })) pagesWithoutText.push(pageNumber);
    }
    const text = assembler.text;
    if (countLettersAndDigits(text) < MIN_TEXT_CHARACTERS) {
      throw new DocumentError(
        'no_text_layer',
        fileName,
        `has no text layer (0 extractable characters on ${pdf.numPages} page${pdf.numPages === 1 ? '' : 's'}); it is probably a scan or images of text`,
        `Run OCR first, e.g. \`ocrmypdf "${fileName}" ocr-output.pdf\`, then ingest the OCRed copy`,
      );
    }
    const info = await readInfo(pdf);
    return {
      fileName,
      format: 'pdf',
      title: info.title,
      text,
      segments: assembler.segments,
      metadata: { pageCount: pdf.numPages, pagesWithoutText, ...info.metadata },
    };
  } finally {
    await pdf.destroy();
  }
}

/**
 * Every PDF starts with "%PDF-" and ends with "%%EOF" (possibly followed by a little whitespace).
 * PDF.js silently reconstructs cut-off files from whatever objects survive, which would ingest a
 * partial document without telling anyone, so a missing end marker is refused up front.
 */
function assertLooksLikeCompletePdf(fileName: string, bytes: Uint8Array): void {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024)).toString('latin1');
  if (!head.includes('%PDF-')) {
    throw new DocumentError(
      'corrupt_file',
      fileName,
      'is not a PDF (it has no %PDF- header)',
      'Check that the file really is a PDF; if it has another format, give it the matching extension',
    );
  }
  // Some producers pad the file after the marker; 8 KB of slack accepts them.
  const tailStart = Math.max(0, bytes.length - 8192);
  const tail = Buffer.from(bytes.buffer, bytes.byteOffset + tailStart, bytes.length - tailStart).toString('latin1');
  if (!tail.includes('%%EOF')) {
    throw new DocumentError(
      'truncated_file',
      fileName,
      `is truncated: the PDF has no %%EOF end marker (${bytes.length} bytes were read)`,
      'Download or copy the file again completely; if only a damaged copy exists, try repairing it with `qpdf damaged.pdf repaired.pdf`',
    );
  }
}

async function openPdf(fileName: string, bytes: Uint8Array): Promise<PdfDocument> {
  try {
    // PDF.js may take ownership of (detach) the buffer it is given; parse a copy so the caller's
    // bytes stay usable. verbosity 0 keeps PDF.js from printing warnings to stdout.
    return await getDocumentProxy(bytes.slice(), { verbosity: 0 });
  } catch (error) {
    throw translatePdfJsError(fileName, error);
  }
}

function translatePdfJsError(fileName: string, error: unknown): DocumentError {
  const name = (error as { name?: string })?.name;
  if (name === 'PasswordException') {
    return new DocumentError(
      'encrypted_pdf',
      fileName,
      'is encrypted (password-protected), so its text cannot be read',
      `Decrypt it first, e.g. \`qpdf --decrypt --password=PASSWORD "${fileName}" decrypted.pdf\`, then ingest the decrypted copy`,
      { cause: error },
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new DocumentError(
    'corrupt_file',
    fileName,
    `is a damaged PDF that cannot be opened (${detail})`,
    'Re-export or re-download it; `qpdf --check FILE` shows what is broken and `qpdf FILE repaired.pdf` can often repair it',
    { cause: error },
  );
}

async function readPageText(pdf: PdfDocument, pageNumber: number, fileName: string): Promise<string> {
  try {
    const page = await pdf.getPage(pageNumber);
    const content = await page.getTextContent();
    const items: PositionedText[] = [];
    for (const item of content.items) {
      if (!('str' in item) || item.str.length === 0) continue;
      const [a, b, c, d, x, y] = item.transform as number[];
      items.push({ str: item.str, x, y, width: item.width, fontSize: item.height || Math.hypot(c, d) || Math.hypot(a, b) });
    }
    const [, , pageWidth] = page.view;
    page.cleanup();
    return layoutPageText(items, pageWidth);
  } catch (error) {
    if (error instanceof DocumentError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new DocumentError(
      'corrupt_file',
      fileName,
      `page ${pageNumber} of the PDF cannot be read (${detail})`,
      'Re-export or re-download it; `qpdf FILE repaired.pdf` can often repair damaged PDFs',
      { cause: error },
    );
  }
}

async function readInfo(pdf: PdfDocument): Promise<{ title?: string; metadata: Record<string, unknown> }> {
  try {
    const { info } = await getMeta(pdf);
    const field = (key: string): string | undefined => {
      const value = info?.[key];
      return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
    };
    return {
      title: field('Title'),
      metadata: { author: field('Author'), creator: field('Creator'), producer: field('Producer'), pdfVersion: field('PDFFormatVersion') },
    };
  } catch {
    // The info dictionary is optional decoration; a PDF whose text reads fine is still useful.
    return { metadata: {} };
  }
}

function countLettersAndDigits(text: string): number {
  return text.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
}
