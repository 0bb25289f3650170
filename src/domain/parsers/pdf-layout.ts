// Puts the text items of one PDF page back into reading order. Items are first merged into line
// fragments (runs of words on one baseline). Then a recursive XY-cut splits the page at its widest
// empty horizontal band or column gutter and reads the parts top-to-bottom / left-to-right, which
// fixes producers that draw headers last or interleave columns. Inside a part that cannot be split
// further, the producer's own drawing order is kept: for text that wraps around a sidebar or a
// figure it is far more reliable than sorting by coordinates.

export interface PositionedText {
  str: string;
  /** Left edge, PDF user space (origin bottom-left). */
  x: number;
  /** Baseline, PDF user space. */
  y: number;
  width: number;
  fontSize: number;
}

interface Fragment extends PositionedText {
  /** Position in the content stream, i.e. the producer's drawing order. */
  order: number;
}

interface Interval {
  low: number;
  high: number;
}

interface Cut {
  gap: number;
  /** Reading order: `first` is above (horizontal cut) or left of (vertical cut) `second`. */
  first: Fragment[];
  second: Fragment[];
}

interface LayoutContext {
  /** Vertical space between text bands that counts as a paragraph break. */
  minParagraphGap: number;
  /** Horizontal space between text that can be a column gutter (wider than any word space). */
  minGutter: number;
  /** A column must be at least this wide: narrower strips are table cells or margin notes. */
  minColumnWidth: number;
  /** A column must hold at least this many lines: fewer could be words that happen to line up. */
  minColumnLines: number;
  /** Baselines closer than this belong to one line (superscripts included). */
  lineTolerance: number;
}

/**
 * The text of one page in reading order. `items` must be in content-stream order (as PDF.js
 * returns them). Lines are joined by "\n", separate blocks by a blank line.
 */
export function layoutPageText(items: PositionedText[], pageWidth: number): string {
  const visible = dropDuplicateDraws(items.filter((item) => item.str.trim().length > 0));
  if (visible.length === 0) return '';
  const bodySize = bodyFontSize(visible);
  const context: LayoutContext = {
    // Ordinary leading leaves 20-45% of the font size between lines; paragraph breaks, headings
    // and separate blocks leave more.
    minParagraphGap: bodySize * 0.6,
    minGutter: Math.max(6, bodySize * 0.8),
    minColumnWidth: pageWidth * 0.15,
    minColumnLines: 3,
    lineTolerance: bodySize * 0.5,
  };
  const fragments = mergeIntoFragments(visible, context);
  return orderBlocks(fragments, context)
    .map(blockText)
    .filter((text) => text.length > 0)
    .join('\n\n');
}

/** Joins consecutive items that continue the same line (same baseline, small gap to the right). */
function mergeIntoFragments(items: PositionedText[], context: LayoutContext): Fragment[] {
  const fragments: Fragment[] = [];
  for (const item of items) {
    const last = fragments[fragments.length - 1];
    const gap = last ? item.x - (last.x + last.width) : 0;
    if (last && sameLine(last, item, context) && gap > -item.fontSize * 0.5 && gap < context.minGutter) {
      last.str = joinOnLine(last.str, item.str, gap > item.fontSize * 0.15);
      last.width = Math.max(last.width, item.x + item.width - last.x);
      last.fontSize = Math.max(last.fontSize, item.fontSize);
    } else {
      fragments.push({ ...item, order: fragments.length });
    }
  }
  return fragments;
}

function orderBlocks(fragments: Fragment[], context: LayoutContext): Fragment[][] {
  const cut = bestCut(fragments, context);
  if (!cut) return [fragments];
  return [...orderBlocks(cut.first, context), ...orderBlocks(cut.second, context)];
}

function bestCut(fragments: Fragment[], context: LayoutContext): Cut | null {
  const horizontal = widestHorizontalCut(fragments, context);
  const vertical = widestVerticalCut(fragments, context);
  if (!horizontal) return vertical;
  if (!vertical) return horizontal;
  return vertical.gap >= horizontal.gap ? vertical : horizontal;
}

/** A cut between text bands stacked vertically (a header above the body, paragraphs). */
function widestHorizontalCut(fragments: Fragment[], context: LayoutContext): Cut | null {
  const bands = mergeIntervals(fragments.map(verticalExtent));
  let best: { gap: number; at: number } | null = null;
  for (let i = 1; i < bands.length; i++) {
    const gap = bands[i].low - bands[i - 1].high;
    if (gap >= context.minParagraphGap && (!best || gap > best.gap)) best = { gap, at: (bands[i].low + bands[i - 1].high) / 2 };
  }
  if (!best) return null;
  const at = best.at;
  // PDF y grows upwards, so the part above the cut is read first.
  const above = fragments.filter((fragment) => center(verticalExtent(fragment)) > at);
  const below = fragments.filter((fragment) => center(verticalExtent(fragment)) <= at);
  return { gap: best.gap, first: above, second: below };
}

/** A cut along a gutter between side-by-side columns. */
function widestVerticalCut(fragments: Fragment[], context: LayoutContext): Cut | null {
  const spans = mergeIntervals(fragments.map(horizontalExtent));
  let best: Cut | null = null;
  for (let i = 1; i < spans.length; i++) {
    const gap = spans[i].low - spans[i - 1].high;
    if (gap < context.minGutter || (best && gap <= best.gap)) continue;
    const at = (spans[i].low + spans[i - 1].high) / 2;
    const left = fragments.filter((fragment) => fragment.x < at);
    const right = fragments.filter((fragment) => fragment.x >= at);
    if (looksLikeColumn(left, context) && looksLikeColumn(right, context)) best = { gap, first: left, second: right };
  }
  return best;
}

function looksLikeColumn(fragments: Fragment[], context: LayoutContext): boolean {
  const extent = mergeIntervals(fragments.map(horizontalExtent));
  const width = extent[extent.length - 1].high - extent[0].low;
  if (width < context.minColumnWidth) return false;
  const baselines = new Set(fragments.map((fragment) => Math.round(fragment.y / context.lineTolerance)));
  return baselines.size >= context.minColumnLines;
}

/** A block read in drawing order: a fragment continuing the previous line joins it, others start a line. */
function blockText(fragments: Fragment[]): string {
  const inDrawingOrder = [...fragments].sort((a, b) => a.order - b.order);
  let text = '';
  let previous: Fragment | undefined;
  for (const fragment of inDrawingOrder) {
    const continuesLine =
      previous !== undefined &&
      Math.abs(previous.y - fragment.y) <= Math.max(previous.fontSize, fragment.fontSize) * 0.5 &&
      fragment.x >= previous.x + previous.width - fragment.fontSize * 0.5;
    text = previous === undefined ? fragment.str : continuesLine ? joinOnLine(text, fragment.str, true) : `${text}\n${fragment.str}`;
    previous = fragment;
  }
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .filter((line) => line.length > 0)
    .join('\n');
}

function sameLine(a: PositionedText, b: PositionedText, context: LayoutContext): boolean {
  return Math.abs(a.y - b.y) <= Math.max(context.lineTolerance, a.fontSize * 0.5, b.fontSize * 0.5);
}

/** Word spaces are usually drawn as gaps, not space characters: add one where a gap separates words. */
function joinOnLine(left: string, right: string, separated: boolean): string {
  if (!separated || /\s$/.test(left) || /^\s/.test(right)) return left + right;
  return `${left} ${right}`;
}

/** Some producers fake bold by drawing the same run twice at (almost) the same spot. */
function dropDuplicateDraws(items: PositionedText[]): PositionedText[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = `${item.str}\u0000${Math.round(item.x)}\u0000${Math.round(item.y)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function verticalExtent(item: PositionedText): Interval {
  // Glyphs sit mostly above the baseline; descenders take ~20% of the font size below it.
  return { low: item.y - item.fontSize * 0.2, high: item.y + item.fontSize * 0.8 };
}

function horizontalExtent(item: PositionedText): Interval {
  return { low: item.x, high: item.x + Math.max(item.width, 0) };
}

function center(interval: Interval): number {
  return (interval.low + interval.high) / 2;
}

function mergeIntervals(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.low - b.low);
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged[merged.length - 1];
    if (last && interval.low <= last.high) last.high = Math.max(last.high, interval.high);
    else merged.push({ ...interval });
  }
  return merged;
}

/** The font size most of the page's characters are set in (footnotes and headings weigh less). */
function bodyFontSize(items: PositionedText[]): number {
  const sorted = [...items].sort((a, b) => a.fontSize - b.fontSize);
  const totalCharacters = sorted.reduce((sum, item) => sum + item.str.length, 0);
  let seen = 0;
  for (const item of sorted) {
    seen += item.str.length;
    if (seen * 2 >= totalCharacters) return item.fontSize || 10;
  }
  return 10;
}
