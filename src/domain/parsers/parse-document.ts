// The single entry point for turning a file's bytes into a ParsedDocument: size and emptiness
// guards common to every format, format detection, then the format's own parser.
import { DocumentError, describeBytes } from './errors';
import { detectFormat, unsupportedFormatAdvice } from './detect-format';
import { parseDocx } from './docx';
import { parseHtml } from './html';
import { parsePdf } from './pdf';
import { parsePptx } from './pptx';
import { parseTextDocument } from './text';
import { DEFAULT_MAX_BYTES, type ParsedDocument, type ParseOptions } from './types';

export async function parseDocument(input: { fileName: string; bytes: Uint8Array }, opts: ParseOptions = {}): Promise<ParsedDocument> {
  const { fileName, bytes } = input;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes) {
    throw new DocumentError(
      'too_large',
      fileName,
      `is ${describeBytes(bytes.length)}, over the ${describeBytes(maxBytes)} limit per document`,
      'Split it into smaller files, or raise maxBytes for this import if the machine has the memory',
    );
  }
  if (bytes.length === 0 || (bytes.length < 64 && isAllWhitespace(bytes))) {
    throw new DocumentError('empty_document', fileName, 'is empty', 'Check that the file was saved or copied completely, or remove it from the input');
  }
  const format = opts.format ?? detectFormat(fileName, bytes);
  switch (format) {
    case 'pdf':
      return parsePdf(fileName, bytes, opts.maxPdfPages);
    case 'html':
      return parseHtml(fileName, bytes, opts);
    case 'docx':
      return parseDocx(fileName, bytes, opts);
    case 'pptx':
      return parsePptx(fileName, bytes, opts);
    case 'text':
    case 'markdown':
      return requireText(parseTextDocument(fileName, bytes, format, opts));
    case 'youtube':
      throw new DocumentError(
        'unsupported_format',
        fileName,
        'is a YouTube video, which has no file bytes to parse',
        'Pass the video URL to fetchYouTubeTranscript instead',
      );
    default:
      throw new DocumentError('unsupported_format', fileName, 'has a format datacreek cannot ingest', unsupportedFormatAdvice(fileName));
  }
}

function requireText(document: ParsedDocument): ParsedDocument {
  if (document.text.length === 0) {
    throw new DocumentError('empty_document', document.fileName, 'contains only whitespace', 'Check that it is the intended file, or remove it from the input');
  }
  return document;
}

function isAllWhitespace(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d);
}
