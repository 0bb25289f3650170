// HTML bodies (Stack Exchange posts) to plain text for training: tags removed, entities decoded by a
// real HTML parser (linkedom), code blocks kept as text with their line breaks and indentation, and all
// other whitespace collapsed. Paragraph-like elements become blank-line separated blocks.
import { parseHTML } from 'linkedom';

/** Elements that stand apart as paragraphs (blank line around them). */
const PARAGRAPH_ELEMENTS = new Set([
  'P',
  'H1',
  'H2',
  'H3',
  'H4',
  'H5',
  'H6',
  'BLOCKQUOTE',
  'UL',
  'OL',
  'DL',
  'TABLE',
  'HR',
  'FIGURE',
  'SECTION',
  'ARTICLE',
  'ASIDE',
  'HEADER',
  'FOOTER',
  'ADDRESS',
]);
/** Elements that start a new line. */
const LINE_ELEMENTS = new Set(['BR', 'DIV', 'LI', 'TR', 'DT', 'DD', 'FIGCAPTION']);
/** Elements whose content is never prose. */
const DROPPED_ELEMENTS = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT']);

const TEXT_NODE = 3;
const ELEMENT_NODE = 1;

interface HtmlNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<HtmlNode>;
}

type Piece = { text: string } | { code: string } | { gap: 1 | 2 } | { bullet: true };

export function htmlToText(html: string): string {
  const { document } = parseHTML(`<!DOCTYPE html><html><body><div id="root">${html}</div></body></html>`);
  const root = document.getElementById('root') as unknown as HtmlNode;
  const pieces: Piece[] = [];
  collect(root, pieces);
  return assemble(pieces);
}

function collect(node: HtmlNode, pieces: Piece[]): void {
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === TEXT_NODE) {
      pieces.push({ text: child.textContent ?? '' });
      continue;
    }
    if (child.nodeType !== ELEMENT_NODE) continue;
    const name = child.nodeName.toUpperCase();
    if (DROPPED_ELEMENTS.has(name)) continue;
    if (name === 'PRE') {
      pieces.push({ code: (child.textContent ?? '').replace(/^\n+/, '').replace(/\s+$/, '') });
    } else if (PARAGRAPH_ELEMENTS.has(name) || LINE_ELEMENTS.has(name)) {
      const gap = PARAGRAPH_ELEMENTS.has(name) ? 2 : 1;
      pieces.push({ gap });
      if (name === 'LI') pieces.push({ bullet: true });
      collect(child, pieces);
      pieces.push({ gap });
    } else {
      collect(child, pieces);
    }
  }
}

function assemble(pieces: Piece[]): string {
  let out = '';
  let prose = '';
  let pendingGap = 0;
  // A list item marks the first block inside it (its own text, or a paragraph nested in it).
  let pendingBullet = false;
  const emit = (block: string, bulleted: boolean) => {
    if (out !== '') out += pendingGap >= 2 ? '\n\n' : '\n';
    out += bulleted && pendingBullet ? `- ${block}` : block;
    pendingGap = 0;
    pendingBullet = false;
  };
  const flushProse = () => {
    const text = prose.replace(/\s+/g, ' ').trim();
    prose = '';
    if (text !== '') emit(text, true);
  };
  for (const piece of pieces) {
    if ('bullet' in piece) {
      pendingBullet = true;
    } else if ('text' in piece) {
      prose += piece.text;
    } else if ('gap' in piece) {
      flushProse();
      pendingGap = Math.max(pendingGap, piece.gap);
    } else {
      flushProse();
      pendingGap = 2;
      if (piece.code.trim() !== '') emit(piece.code, false);
      pendingGap = 2;
    }
  }
  flushProse();
  return out;
}
