// Decides which parser a file needs: by extension first (what the user named it), then by content
// sniffing for files without a known extension.
import { extname } from 'node:path';
import type { DocumentFormat } from './types';

const FORMAT_BY_EXTENSION: Record<string, DocumentFormat> = {
  '.pdf': 'pdf',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.docx': 'docx',
  '.pptx': 'pptx',
  '.txt': 'text',
  '.text': 'text',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.mdown': 'markdown',
  '.mkd': 'markdown',
};

/** Formats users often try, with what to do instead; used in `unsupported_format` errors. */
const ADVICE_BY_EXTENSION: Record<string, string> = {
  '.doc': 'Legacy Word files are not supported: convert it, e.g. `libreoffice --headless --convert-to docx FILE`',
  '.ppt': 'Legacy PowerPoint files are not supported: convert it, e.g. `libreoffice --headless --convert-to pptx FILE`',
  '.odt': 'Convert it to DOCX, e.g. `libreoffice --headless --convert-to docx FILE`',
  '.odp': 'Convert it to PPTX, e.g. `libreoffice --headless --convert-to pptx FILE`',
  '.rtf': 'Convert it to DOCX, e.g. `libreoffice --headless --convert-to docx FILE`',
  '.xlsx': 'Spreadsheets are datasets, not documents: save it as CSV and use dataset import',
  '.csv': 'CSV files are datasets, not documents: use dataset import',
  '.json': 'JSON files are datasets, not documents: use dataset import',
  '.jsonl': 'JSONL files are datasets, not documents: use dataset import',
  '.parquet': 'Parquet files are datasets, not documents: use dataset import',
};

export const SUPPORTED_EXTENSIONS = Object.keys(FORMAT_BY_EXTENSION);

export function formatFromExtension(fileName: string): DocumentFormat | null {
  return FORMAT_BY_EXTENSION[extname(fileName).toLowerCase()] ?? null;
}

/** What to tell a user whose file has an unsupported extension. */
export function unsupportedFormatAdvice(fileName: string): string {
  const extension = extname(fileName).toLowerCase();
  return (
    ADVICE_BY_EXTENSION[extension] ??
    `Supported extensions are ${SUPPORTED_EXTENSIONS.join(', ')}; convert the file to one of them or rename it if it already is one`
  );
}

/**
 * The document format of a file: from its extension when it has a known one, otherwise sniffed
 * from its first bytes (PDF header, zip with word/ or ppt/ parts, HTML markup). Null when unknown.
 */
export function detectFormat(fileName: string, bytes?: Uint8Array): DocumentFormat | null {
  return formatFromExtension(fileName) ?? (bytes ? sniffFormat(bytes) : null);
}

/** The format the bytes themselves look like, regardless of the file name. */
export function sniffFormat(bytes: Uint8Array): DocumentFormat | null {
  if (startsWithAscii(bytes, '%PDF-')) return 'pdf';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    // OOXML packages name their main part early in the central directory; a plain substring
    // search over the whole zip is cheap and avoids parsing it twice.
    const latin = asciiView(bytes, bytes.length);
    if (latin.includes('word/document.xml')) return 'docx';
    if (latin.includes('ppt/presentation.xml')) return 'pptx';
    return null;
  }
  const head = asciiView(bytes, 1024)
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || /<(head|body)[\s>]/.test(head)) return 'html';
  return null;
}

export function isOleCompoundFile(bytes: Uint8Array): boolean {
  // D0 CF 11 E0: the container of legacy .doc/.ppt files and of password-protected DOCX/PPTX.
  return bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0;
}

function startsWithAscii(bytes: Uint8Array, prefix: string): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function asciiView(bytes: Uint8Array, limit: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(limit, bytes.length)).toString('latin1');
}
