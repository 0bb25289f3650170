// A cheap, linear pre-scan of an HTML page that measures how deeply its elements nest and how many there are,
// before any DOM is built. Building a DOM and running Readability over a deeply nested page is slower than linear
// (a 56 KB page of 5,000 nested <div>s takes minutes) and recursive (20,000 levels overflow the stack), so a page
// over the limits is refused here, in milliseconds, with the measured value.
import { limitExceeded } from './errors';

/** Elements that never have children. */
const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'basefont',
  'bgsound',
  'br',
  'col',
  'embed',
  'frame',
  'hr',
  'img',
  'input',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
/**
 * Elements whose end tag may be left out: a parser closes them implicitly (a new <p> ends the open one), so
 * counting them as open would call an ordinary page of unclosed paragraphs "deep". Their containers (ul, table,
 * div …) are counted, so nesting them still registers.
 */
const OPTIONAL_END_TAG = new Set([
  'p',
  'li',
  'dt',
  'dd',
  'option',
  'optgroup',
  'tr',
  'td',
  'th',
  'thead',
  'tbody',
  'tfoot',
  'colgroup',
  'caption',
  'rb',
  'rt',
  'rtc',
  'rp',
  'html',
  'head',
  'body',
]);
/** Elements whose content is text, not markup: skipped up to their end tag. */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript', 'plaintext']);

export interface HtmlShape {
  /** Deepest nesting of elements that need an end tag. */
  depth: number;
  elements: number;
}

/** How far down the stack of open elements an end tag looks for its start tag; a stray end tag is ignored. */
const END_TAG_SEARCH_WINDOW = 64;

/** Measures the page in one pass; never builds a tree, and bounds the work per tag, so it is cheap on any input. */
export function measureHtml(html: string): HtmlShape {
  const lower = html.toLowerCase();
  const open: string[] = [];
  let depth = 0;
  let elements = 0;
  const tag = /<(\/?)([a-zA-Z][^\s/>]*)|<!--/g;
  let match: RegExpExecArray | null;
  while ((match = tag.exec(html))) {
    if (match[0] === '<!--') {
      const end = html.indexOf('-->', tag.lastIndex);
      if (end < 0) break;
      tag.lastIndex = end + 3;
      continue;
    }
    const name = match[2].toLowerCase();
    const tagEnd = html.indexOf('>', tag.lastIndex);
    if (tagEnd < 0) break;
    tag.lastIndex = tagEnd + 1;
    if (match[1] === '/') {
      // Closing an element closes whatever was left open inside it.
      for (let at = open.length - 1; at >= Math.max(0, open.length - END_TAG_SEARCH_WINDOW); at--) {
        if (open[at] === name) {
          open.length = at;
          break;
        }
      }
      continue;
    }
    elements++;
    if (RAW_TEXT.has(name)) {
      const close = lower.indexOf(`</${name}`, tag.lastIndex);
      tag.lastIndex = close < 0 ? html.length : close;
      continue;
    }
    if (VOID_ELEMENTS.has(name) || OPTIONAL_END_TAG.has(name)) continue;
    open.push(name);
    if (open.length > depth) depth = open.length;
  }
  return { depth, elements };
}

/** Refuses a page nested deeper, or with more elements, than the limits allow. */
export function assertHtmlWithinLimits(fileName: string, html: string, limits: { maxDepth: number; maxElements: number }): HtmlShape {
  const shape = measureHtml(html);
  if (shape.depth > limits.maxDepth) throw limitExceeded(fileName, 'elements nested too deep', shape.depth, limits.maxDepth, 'ingest.max_html_depth');
  if (shape.elements > limits.maxElements) throw limitExceeded(fileName, 'too many elements', shape.elements, limits.maxElements, 'ingest.max_html_elements');
  return shape;
}
