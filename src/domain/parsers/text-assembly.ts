// Builds a document's text from blocks (pages, slides, caption lines) while recording which span of
// the final text each block became, so provenance survives the concatenation exactly.
import type { DocumentSegment } from './types';

// Characters that carry no text but break search, dedup and tokenization: zero-width space, word
// joiner, BOM, soft hyphen. Zero-width (non-)joiners are kept because some scripts need them.
const INVISIBLE_CHARACTERS = /[\u200B\u2060\uFEFF\u00AD]/g;
// C0/C1 control characters other than tab and newline (form feeds, NULs, escape codes from PDFs).
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
const UNUSUAL_SPACES = /[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g;

/**
 * Normalizes extracted text so every format yields the same shape: LF line ends, no invisible or
 * control characters, ordinary spaces, no trailing spaces, at most one blank line in a row.
 */
export function normalizeText(raw: string): string {
  return raw
    .replace(/\r\n?/g, '\n')
    .replace(INVISIBLE_CHARACTERS, '')
    .replace(CONTROL_CHARACTERS, (c) => (c === '\f' || c === '\v' ? '\n' : ''))
    .replace(UNUSUAL_SPACES, ' ')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export type SegmentProvenance = Omit<DocumentSegment, 'start' | 'end'>;

export class TextAssembler {
  private readonly parts: string[] = [];
  private length = 0;
  readonly segments: DocumentSegment[] = [];

  constructor(private readonly separator = '\n\n') {}

  /** Appends a block (normalized first; blank blocks are skipped). Returns false when skipped. */
  add(block: string, provenance: SegmentProvenance = {}): boolean {
    const text = normalizeText(block);
    if (text.length === 0) return false;
    if (this.parts.length > 0) {
      this.parts.push(this.separator);
      this.length += this.separator.length;
    }
    const start = this.length;
    this.parts.push(text);
    this.length += text.length;
    this.segments.push({ start, end: this.length, ...provenance });
    return true;
  }

  get text(): string {
    return this.parts.join('');
  }
}
