// Web pages: only the main content (Mozilla Readability on a linkedom DOM), so navigation, sidebars,
// scripts, styles and cookie banners stay out of the dataset. Entities are decoded by the DOM.
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { assertTextual, decodeText } from './decode-text';
import type { DomDocument, DomElement } from './dom-types';
import { DocumentError } from './errors';
import { assertHtmlWithinLimits } from './html-bounds';
import { renderElementAsText, renderHtmlAsMarkdown } from './html-render';
import { TextAssembler } from './text-assembly';
import { DEFAULT_MAX_HTML_DEPTH, DEFAULT_MAX_HTML_ELEMENTS, type ParsedDocument, type ParseOptions } from './types';

/** Page furniture removed when Readability finds no article and the whole body is used instead. */
const BOILERPLATE_SELECTOR =
  'script, style, noscript, template, nav, header, footer, aside, form, [role="navigation"], [role="banner"], [role="contentinfo"], [aria-hidden="true"]';

export function parseHtml(fileName: string, bytes: Uint8Array, options: ParseOptions): ParsedDocument {
  assertTextual(bytes, fileName);
  const { html, encoding } = decodeHtml(bytes, fileName, options.encoding);
  assertHtmlWithinLimits(fileName, html, {
    maxDepth: options.maxHtmlDepth ?? DEFAULT_MAX_HTML_DEPTH,
    maxElements: options.maxHtmlElements ?? DEFAULT_MAX_HTML_ELEMENTS,
  });
  const document = parseHTML(html).document as unknown as DomDocument;
  const pageTitle = document.querySelector('title')?.textContent?.trim() || undefined;
  const language = document.documentElement?.getAttribute('lang') ?? undefined;

  // Readability mutates the document it reads, so it works on a clone; the original remains for
  // the fallback below.
  const article = new Readability(document.cloneNode(true) as unknown as ConstructorParameters<typeof Readability>[0], {
    serializer: (node) => node as unknown as DomElement,
  }).parse();
  let content: DomElement | null = article?.content ?? null;
  let extractor = 'readability';
  if (!content || (content.textContent ?? '').trim().length === 0) {
    content = document.body ?? document.documentElement;
    for (const element of Array.from(content?.querySelectorAll(BOILERPLATE_SELECTOR) ?? [])) element.remove();
    extractor = 'body';
  }
  const rendered = content ? (options.markdown ? renderHtmlAsMarkdown(content.outerHTML) : renderElementAsText(content)) : '';
  const title = article?.title?.trim() || pageTitle;
  const assembler = new TextAssembler();
  assembler.add(rendered);
  if (assembler.text.length === 0) {
    throw new DocumentError(
      'empty_document',
      fileName,
      'has no readable text content (the page may be built by JavaScript at load time)',
      'Save the page from a browser after it has loaded (File → Save Page As, "complete"), or ingest its PDF print',
    );
  }
  return {
    fileName,
    format: 'html',
    title,
    text: assembler.text,
    segments: assembler.segments,
    metadata: {
      extractor,
      encoding,
      markdown: options.markdown === true,
      language: article?.lang ?? language,
      byline: article?.byline ?? undefined,
      siteName: article?.siteName ?? undefined,
      publishedTime: article?.publishedTime ?? undefined,
      sourceUrl: options.sourceUrl,
    },
  };
}

/**
 * Decodes as a browser would: the caller's encoding, else the page's declared charset, else UTF-8;
 * an undeclared page that is not valid UTF-8 is read as windows-1252, the HTML standard's fallback
 * for legacy pages (recorded in metadata.encoding).
 */
function decodeHtml(bytes: Uint8Array, fileName: string, encoding?: string): { html: string; encoding: string } {
  if (encoding) return { html: decodeText(bytes, fileName, encoding), encoding };
  const declared = declaredCharset(bytes);
  if (declared && !/^utf-?8$/i.test(declared)) {
    try {
      return { html: new TextDecoder(declared).decode(bytes), encoding: declared.toLowerCase() };
    } catch {
      // An unknown label in the page itself: fall back as if nothing were declared.
    }
  }
  try {
    return { html: decodeText(bytes, fileName), encoding: 'utf-8' };
  } catch (error) {
    if (declared || !(error instanceof DocumentError) || error.code !== 'not_utf8') throw error;
    return { html: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252 (undeclared, guessed)' };
  }
}

function declaredCharset(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4096)).toString('latin1');
  return /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1];
}
