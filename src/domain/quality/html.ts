// HTML cleanup for record text scraped from the web (the first step of curating scraped text): drop tags,
// scripts, styles and comments, decode entities, tidy the whitespace they leave. Only real HTML element
// names count as tags, so code such as `List<String>` or `a < b > c` survives, and text with no markup
// at all is left exactly as it was.

export interface HtmlCleanResult {
  text: string;
  tagsRemoved: number;
  entitiesDecoded: number;
}

const HTML_ELEMENTS = new Set(
  (
    'a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption cite code col ' +
    'colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption figure font footer form ' +
    'h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd label legend li link main map mark menu ' +
    'meta meter nav noscript object ol optgroup option output p param picture pre progress q rp rt ruby s samp ' +
    'script search section select small source span strong style sub summary sup svg table tbody td template ' +
    'textarea tfoot th thead time title tr track u ul var video wbr center big tt strike'
  ).split(' '),
);
/** Elements that end a line of text when removed. */
const BLOCK_ELEMENTS = new Set(
  (
    'address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 ' +
    'header hr li main nav ol p pre section table tbody tfoot thead tr ul'
  ).split(' '),
);
const CELL_ELEMENTS = new Set(['td', 'th']);
const LINE_BREAK = '\u0000';
const CELL_BREAK = '\u0001';

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ensp: ' ',
  emsp: ' ',
  thinsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  sbquo: '‚',
  ldquo: '“',
  rdquo: '”',
  bdquo: '„',
  laquo: '«',
  raquo: '»',
  lsaquo: '‹',
  rsaquo: '›',
  bull: '•',
  middot: '·',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  deg: '°',
  plusmn: '±',
  times: '×',
  divide: '÷',
  micro: 'µ',
  para: '¶',
  sect: '§',
  shy: '',
  zwj: '\u200d',
  zwnj: '\u200c',
  iexcl: '¡',
  iquest: '¿',
  frac12: '½',
  frac14: '¼',
  frac34: '¾',
  sup2: '²',
  sup3: '³',
  larr: '←',
  rarr: '→',
  uarr: '↑',
  darr: '↓',
  hearts: '♥',
  eacute: 'é',
  egrave: 'è',
  ecirc: 'ê',
  aacute: 'á',
  agrave: 'à',
  acirc: 'â',
  auml: 'ä',
  ouml: 'ö',
  uuml: 'ü',
  Auml: 'Ä',
  Ouml: 'Ö',
  Uuml: 'Ü',
  szlig: 'ß',
  ccedil: 'ç',
  ntilde: 'ñ',
  oacute: 'ó',
  iacute: 'í',
  uacute: 'ú',
};

const COMMENT = /<!--[\s\S]*?-->/g;
const RAW_TEXT_ELEMENT = /<(script|style|noscript|template)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const TAG = /<\/?([A-Za-z][A-Za-z0-9]*)\b(?:[^<>"']|"[^"]*"|'[^']*')*\/?>/g;
const ENTITY = /&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/g;

export function cleanHtml(input: string): HtmlCleanResult {
  let tagsRemoved = 0;
  let text = input.replace(COMMENT, () => {
    tagsRemoved++;
    return '';
  });
  text = text.replace(RAW_TEXT_ELEMENT, () => {
    tagsRemoved += 2;
    return '';
  });
  text = text.replace(TAG, (tag, name: string) => {
    const element = name.toLowerCase();
    if (!HTML_ELEMENTS.has(element)) return tag;
    tagsRemoved++;
    if (BLOCK_ELEMENTS.has(element)) return LINE_BREAK;
    if (CELL_ELEMENTS.has(element)) return CELL_BREAK;
    return '';
  });
  // Adjacent block boundaries (</li><li>, </p>\n<p>) make one line break; cell gaps one space.
  text = text
    .replace(/[ \t]*\u0000[\s\u0000\u0001]*/g, '\n')
    .replace(/(^|\n)\u0001+/g, '$1')
    .replace(/\u0001+/g, ' ');
  let entitiesDecoded = 0;
  text = text.replace(ENTITY, (entity, body: string) => {
    const decoded = decodeEntity(body);
    if (decoded === null) return entity;
    entitiesDecoded++;
    return decoded;
  });
  // Text without markup is returned as it was: its spacing may be deliberate (code, aligned tables).
  if (tagsRemoved === 0 && entitiesDecoded === 0) return { text: input, tagsRemoved, entitiesDecoded };
  return { text: tidyWhitespace(text), tagsRemoved, entitiesDecoded };
}

function decodeEntity(body: string): string | null {
  if (body.startsWith('#')) {
    const codePoint = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    if (!Number.isFinite(codePoint) || codePoint <= 0 || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return null;
    return String.fromCodePoint(codePoint);
  }
  return NAMED_ENTITIES[body] ?? null;
}

/**
 * Runs of spaces inside a line become one space and trailing spaces go, but leading indentation stays
 * (it carries meaning in code and lists); three or more line breaks become a blank line.
 */
export function tidyWhitespace(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => {
      const indent = /^[ \t]*/.exec(line)![0];
      return (
        indent +
        line
          .slice(indent.length)
          .replace(/[ \t\f\v\u00a0]+/g, ' ')
          .trimEnd()
      );
    })
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+/, '')
    .trimEnd();
}
