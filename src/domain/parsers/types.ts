// The shapes the ingestion library hands to the rest of datacreek: one parsed document with its
// clean text and where each piece of that text came from (page, slide, timestamp).

export type DocumentFormat = 'pdf' | 'html' | 'docx' | 'pptx' | 'text' | 'markdown' | 'youtube';

/**
 * Provenance of a span of `ParsedDocument.text`: `text.slice(start, end)` came from this page,
 * slide or transcript timestamp. Segments are in text order and never overlap.
 */
export interface DocumentSegment {
  start: number;
  end: number;
  page?: number;
  slide?: number;
  timestampSec?: number;
}

export interface ParsedDocument {
  fileName: string;
  format: DocumentFormat;
  title?: string;
  text: string;
  segments: DocumentSegment[];
  metadata: Record<string, unknown>;
}

export interface ParseOptions {
  /** Force a format instead of detecting it from the name and bytes. */
  format?: DocumentFormat;
  /** Refuse inputs larger than this many bytes (default 100 MB). */
  maxBytes?: number;
  /** Refuse DOCX/PPTX whose zip entries declare more uncompressed bytes than this (default 200 MB). */
  maxUncompressedBytes?: number;
  /** HTML and DOCX: keep headings, lists and tables as Markdown instead of plain text. */
  markdown?: boolean;
  /**
   * TXT, Markdown and HTML: decode with this encoding label (e.g. 'latin1', 'windows-1252',
   * 'shift_jis') instead of requiring UTF-8.
   */
  encoding?: string;
  /** The page's address, for HTML fetched from the web (kept in metadata, used to resolve links). */
  sourceUrl?: string;
  /** HTML: refuse pages whose elements nest deeper than this, measured before any DOM is built (default 512). */
  maxHtmlDepth?: number;
  /** HTML: refuse pages with more elements than this, counted before any DOM is built (default 250,000). */
  maxHtmlElements?: number;
  /** PDF: refuse documents with more pages than this, read from the page tree before any page is parsed (default 2,000). */
  maxPdfPages?: number;
}

export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024;
export const DEFAULT_MAX_HTML_DEPTH = 512;
export const DEFAULT_MAX_HTML_ELEMENTS = 250_000;
export const DEFAULT_MAX_PDF_PAGES = 2_000;
