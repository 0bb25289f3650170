// Turning one LLM answer into column values, as InstructLab's LLMBlock does: either start/end tag pairs
// parallel to output_cols ("" and "" = the whole text), or a custom regex whose groups fill the columns in
// order, with cleanup tags removed. Each match is one value; the k-th values of every column make the k-th
// row, so an answer with three [QUESTION]/[ANSWER] pairs becomes three rows.

export interface OutputParser {
  outputCols: string[];
  startTags?: string[];
  endTags?: string[];
  /** A custom pattern (Python `re` syntax, matched with DOTALL). */
  pattern?: string;
  cleanupTags?: string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Python regex syntax that JavaScript spells differently; InstructLab's patterns need none of it, but users' might. */
export function toJsRegExp(pattern: string): RegExp {
  const source = pattern
    .replace(/\(\?P<(\w+)>/g, '(?<$1>')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\Z/g, '$');
  return new RegExp(source, 'gs');
}

/** Values per output column, in match order (lists may differ in length). */
export function parseColumns(text: string, parser: OutputParser): Record<string, string[]> {
  const matches: Record<string, string[]> = {};
  if (parser.pattern !== undefined) {
    for (const col of parser.outputCols) matches[col] = [];
    const all = [...text.matchAll(toJsRegExp(parser.pattern))];
    const groups = all.length > 0 ? all[0].length - 1 : 0;
    if (groups > 1) {
      for (const match of all) {
        parser.outputCols.forEach((col, i) => {
          if (i >= groups) return;
          let value = (match[i + 1] ?? '').trim();
          for (const tag of parser.cleanupTags ?? []) value = value.split(tag).join('');
          matches[col].push(value);
        });
      }
    } else {
      // Zero or one group: like Python's findall, each match is the group (or the whole match).
      matches[parser.outputCols[0]] = all.map((m) => (groups === 1 ? (m[1] ?? '') : m[0]).trim());
    }
    return matches;
  }
  const starts = parser.startTags ?? [];
  const ends = parser.endTags ?? [];
  const pairs = Math.min(starts.length, ends.length, parser.outputCols.length);
  for (let i = 0; i < pairs; i++) {
    const [start, end, col] = [starts[i], ends[i], parser.outputCols[i]];
    if (!start && !end) {
      matches[col] = text ? [text.trim()] : [];
      continue;
    }
    const pattern = new RegExp(`${escapeRegExp(start)}(.*?)${escapeRegExp(end)}`, 'gs');
    matches[col] = [...text.matchAll(pattern)].map((m) => m[1].trim());
  }
  return matches;
}

/**
 * New rows from one answer: the k-th value of every column, for k up to the shortest list. When that is
 * zero the answer matched nothing and the caller records why (`reason`), never dropping it silently.
 */
export function parseRows(text: string, parser: OutputParser): { rows: Record<string, string>[]; reason?: string } {
  const columns = parseColumns(text, parser);
  const cols = Object.keys(columns);
  if (cols.length === 0) return { rows: [], reason: 'no_parse: the block has no start_tags/end_tags or parsing_pattern for its output_cols' };
  const count = Math.min(...cols.map((c) => columns[c].length));
  if (count === 0) {
    const empty = cols.filter((c) => columns[c].length === 0);
    const how = parser.pattern !== undefined ? `the parsing_pattern` : `the tags of ${empty.map((c) => `"${c}"`).join(', ')}`;
    return { rows: [], reason: `no_match: the answer did not match ${how}` };
  }
  const rows = Array.from({ length: count }, (_, k) => Object.fromEntries(cols.map((c) => [c, columns[c][k]])));
  return { rows };
}
