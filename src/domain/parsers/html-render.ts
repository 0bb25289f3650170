// Renders an HTML element (an article found by Readability, or mammoth's DOCX output) as readable
// text that keeps the structure an LLM needs: paragraphs separated by blank lines, headings on their
// own line, list items with "- " / "1. " markers, table rows with cells separated by " | ".
// The Markdown variant goes through turndown, with a table rule added (core turndown drops tables).
import TurndownService from 'turndown';
import { ELEMENT_NODE, TEXT_NODE, type DomElement, type DomNode } from './dom-types';

const SKIPPED_ELEMENTS = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'canvas',
  'iframe',
  'object',
  'embed',
  'head',
  'button',
  'input',
  'select',
  'textarea',
  'img',
  'picture',
  'video',
  'audio',
  'map',
]);
const BLOCK_ELEMENTS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'center',
  'dd',
  'details',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'header',
  'hr',
  'main',
  'nav',
  'p',
  'pre',
  'section',
  'summary',
  'body',
  'html',
  'caption',
]);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

/** Structural text of an element: see the file comment for the shape. */
export function renderElementAsText(root: DomElement): string {
  const renderer = new BlockRenderer();
  renderer.visitChildren(root);
  return renderer.finish();
}

class BlockRenderer {
  private readonly blocks: string[] = [];
  private inline = '';

  visitChildren(node: DomNode): void {
    for (const child of Array.from(node.childNodes)) this.visit(child);
  }

  finish(): string {
    this.flush();
    return this.blocks.join('\n\n');
  }

  private visit(node: DomNode): void {
    if (node.nodeType === TEXT_NODE) {
      this.inline += node.textContent ?? '';
      return;
    }
    if (node.nodeType !== ELEMENT_NODE) return;
    const element = node as DomElement;
    const tag = element.localName.toLowerCase();
    if (SKIPPED_ELEMENTS.has(tag) || element.getAttribute('hidden') !== null || element.getAttribute('aria-hidden') === 'true') return;
    if (tag === 'br') {
      this.inline += '\n';
    } else if (HEADINGS.has(tag)) {
      this.emit(inlineText(element));
    } else if (tag === 'ul' || tag === 'ol') {
      this.emit(renderList(element, 0));
    } else if (tag === 'table') {
      this.emit(
        renderTableRows(element)
          .map((cells) => cells.join(' | '))
          .join('\n'),
      );
    } else if (tag === 'pre') {
      this.emit(element.textContent ?? '', true);
    } else if (BLOCK_ELEMENTS.has(tag) || tag === 'li') {
      this.flush();
      this.visitChildren(element);
      this.flush();
    } else {
      this.visitChildren(element);
    }
  }

  private emit(text: string, preformatted = false): void {
    this.flush();
    const block = preformatted ? text.replace(/^\n+|\s+$/g, '') : text.trim();
    if (block.length > 0) this.blocks.push(block);
  }

  private flush(): void {
    const text = this.inline
      .split('\n')
      .map((line) => collapseWhitespace(line).trim())
      .join('\n')
      .trim();
    this.inline = '';
    if (text.length > 0) this.blocks.push(text);
  }
}

function collapseWhitespace(text: string): string {
  return text.replace(/[ \t\r\n\f]+/g, ' ');
}

/** Text of an element on one line: nested blocks become spaces, skipped elements vanish. */
function inlineText(element: DomElement): string {
  let text = '';
  const walk = (node: DomNode) => {
    if (node.nodeType === TEXT_NODE) text += node.textContent ?? '';
    else if (node.nodeType === ELEMENT_NODE) {
      const child = node as DomElement;
      const tag = child.localName.toLowerCase();
      if (SKIPPED_ELEMENTS.has(tag)) return;
      if (tag === 'br' || BLOCK_ELEMENTS.has(tag) || tag === 'li' || tag === 'td' || tag === 'th') text += ' ';
      for (const grandchild of Array.from(child.childNodes)) walk(grandchild);
      if (BLOCK_ELEMENTS.has(tag)) text += ' ';
    }
  };
  for (const child of Array.from(element.childNodes)) walk(child);
  return collapseWhitespace(text).trim();
}

function renderList(list: DomElement, depth: number): string {
  const ordered = list.localName.toLowerCase() === 'ol';
  const start = Number(list.getAttribute('start') ?? '1') || 1;
  const lines: string[] = [];
  let number = start;
  for (const item of Array.from(list.children)) {
    if (item.localName.toLowerCase() !== 'li') continue;
    const marker = ordered ? `${number++}. ` : '- ';
    const nested = Array.from(item.children).filter((child) => ['ul', 'ol'].includes(child.localName.toLowerCase()));
    const ownText = inlineTextWithout(item, nested);
    if (ownText.length > 0) lines.push(`${'  '.repeat(depth)}${marker}${ownText}`);
    for (const sublist of nested) {
      const rendered = renderList(sublist, depth + 1);
      if (rendered.length > 0) lines.push(rendered);
    }
  }
  return lines.join('\n');
}

function inlineTextWithout(element: DomElement, excluded: DomElement[]): string {
  const clone = element.cloneNode(true) as DomElement;
  const cloneChildren = Array.from(clone.children);
  const originalChildren = Array.from(element.children);
  for (const nested of excluded) cloneChildren[originalChildren.indexOf(nested)]?.remove();
  return inlineText(clone);
}

/** Rows of a table as trimmed cell texts; rows without any text are dropped. */
export function renderTableRows(table: DomElement): string[][] {
  const rows: string[][] = [];
  for (const row of Array.from(table.querySelectorAll('tr'))) {
    // Nested tables belong to their own cell, not to this table's rows.
    if (row.closest('table') !== table) continue;
    const cells = Array.from(row.children)
      .filter((cell) => ['td', 'th'].includes(cell.localName.toLowerCase()))
      .map((cell) => inlineText(cell).replace(/\|/g, '\\|'));
    if (cells.some((cell) => cell.length > 0)) rows.push(cells);
  }
  return rows;
}

let markdownService: TurndownService | undefined;

/** Markdown for an HTML fragment: ATX headings, "-" bullets, fenced code, pipe tables. */
export function renderHtmlAsMarkdown(html: string): string {
  markdownService ??= createMarkdownService();
  return markdownService.turndown(html);
}

function createMarkdownService(): TurndownService {
  const service = new TurndownService({ headingStyle: 'atx', bulletListMarker: '-', codeBlockStyle: 'fenced', emDelimiter: '*' });
  service.remove(['script', 'style', 'noscript', 'template', 'iframe', 'object', 'embed']);
  // Added rules take precedence over turndown's built-in ones. Images carry no text for a dataset,
  // and links left without text (permalink anchors, image links) are noise.
  service.addRule('dropImages', { filter: ['img', 'picture', 'svg'], replacement: () => '' });
  service.addRule('dropEmptyLinks', {
    filter: (node) => node.nodeName === 'A' && (node.textContent ?? '').replace(/[\s\u200B]/g, '').length === 0,
    replacement: () => '',
  });
  service.addRule('pipeTable', {
    filter: 'table',
    replacement: (_content, node) => {
      const rows = renderTableRows(node as unknown as DomElement);
      if (rows.length === 0) return '';
      const width = Math.max(...rows.map((row) => row.length));
      const line = (cells: string[]) => `| ${Array.from({ length: width }, (_, i) => cells[i] ?? '').join(' | ')} |`;
      const separator = `| ${Array.from({ length: width }, () => '---').join(' | ')} |`;
      return `\n\n${[line(rows[0]), separator, ...rows.slice(1).map(line)].join('\n')}\n\n`;
    },
  });
  return service;
}
