// Plain text and Markdown: decoded strictly, normalized, kept as written (Markdown syntax is left in
// place because headings and lists help both chunking and the LLM that reads the chunks).
import { assertTextual, decodeText } from './decode-text';
import { TextAssembler } from './text-assembly';
import type { ParsedDocument, ParseOptions } from './types';

export function parseTextDocument(fileName: string, bytes: Uint8Array, format: 'text' | 'markdown', options: ParseOptions): ParsedDocument {
  assertTextual(bytes, fileName);
  const raw = decodeText(bytes, fileName, options.encoding);
  const assembler = new TextAssembler();
  assembler.add(raw);
  const text = assembler.text;
  return {
    fileName,
    format,
    title: format === 'markdown' ? firstMarkdownHeading(text) : undefined,
    text,
    segments: assembler.segments,
    metadata: { encoding: options.encoding ?? 'utf-8' },
  };
}

function firstMarkdownHeading(text: string): string | undefined {
  const atx = /^#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(text);
  if (atx) return atx[1].trim();
  const setext = /^(\S[^\n]*)\n=+[ \t]*$/m.exec(text);
  return setext?.[1].trim();
}
