// The column blocks of InstructLab's format, as pure functions over rows: what datasets/pandas do there,
// row by row here. A row that lacks a column the block needs becomes a reject with its reason instead of
// failing the whole batch.
import type { PipelineRow, ResolvedBlock, RowReject } from '../types';

export interface BlockOutput {
  rows: PipelineRow[];
  rejects: RowReject[];
}

const missing = (row: PipelineRow, cols: string[]): RowReject | null => {
  const absent = cols.filter((c) => !(c in row.data));
  return absent.length > 0 ? { rowId: row.id, reason: `missing_column: the row has no ${absent.map((c) => `"${c}"`).join(', ')}`, data: row.data } : null;
};

/** Applies `map` to each row that has `cols`; rows without them are rejected. */
function perRow(rows: PipelineRow[], cols: string[], map: (row: PipelineRow) => PipelineRow | RowReject): BlockOutput {
  const out: BlockOutput = { rows: [], rejects: [] };
  for (const row of rows) {
    const absent = missing(row, cols);
    const result = absent ?? map(row);
    if ('reason' in result) out.rejects.push(result);
    else out.rows.push(result);
  }
  return out;
}

export function duplicateColumns(rows: PipelineRow[], map: Record<string, string>): BlockOutput {
  return perRow(rows, Object.keys(map), (row) => {
    const data = { ...row.data };
    for (const [from, to] of Object.entries(map)) data[to] = row.data[from];
    return { id: row.id, data };
  });
}

/** All renames at once, so `{document: raw_document, corrected_document: document}` swaps names as datasets does. */
export function renameColumns(rows: PipelineRow[], map: Record<string, string>): BlockOutput {
  return perRow(rows, Object.keys(map), (row) => {
    const clash = Object.values(map).find((to) => to in row.data && !(to in map));
    if (clash) return { rowId: row.id, reason: `rename_clash: the row already has a column "${clash}"`, data: row.data };
    const data: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row.data)) data[map[key] ?? key] = value;
    return { id: row.id, data };
  });
}

export function combineColumns(rows: PipelineRow[], columns: string[], outputCol: string, separator = '\n\n'): BlockOutput {
  return perRow(rows, columns, (row) => ({ id: row.id, data: { ...row.data, [outputCol]: columns.map((c) => String(row.data[c] ?? '')).join(separator) } }));
}

/**
 * pandas.melt: every row becomes one row per `varCols` column, holding that column's name in `varName` and
 * its value in `valueName`; the other columns are kept. Ordered as melt orders them: by column, then row.
 */
export function flattenColumns(rows: PipelineRow[], varCols: string[], valueName: string, varName: string): BlockOutput {
  const out: BlockOutput = { rows: [], rejects: [] };
  const complete: PipelineRow[] = [];
  for (const row of rows) {
    const absent = missing(row, varCols);
    if (absent) out.rejects.push(absent);
    else complete.push(row);
  }
  varCols.forEach((col, k) => {
    for (const row of complete) {
      const data = Object.fromEntries(Object.entries(row.data).filter(([key]) => !varCols.includes(key)));
      out.rows.push({ id: `${row.id}.f${k}`, data: { ...data, [varName]: col, [valueName]: row.data[col] } });
    }
  });
  return out;
}

/** Sets the column to its most common value; ties go to the smallest value, as pandas' mode()[0] does. */
export function setToMajorityValue(rows: PipelineRow[], col: string): BlockOutput {
  const counts = new Map<string, { value: unknown; count: number }>();
  for (const row of rows) {
    if (!(col in row.data)) continue;
    const key = JSON.stringify(row.data[col]);
    const entry = counts.get(key) ?? { value: row.data[col], count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  if (counts.size === 0) return perRow(rows, [col], (row) => row);
  const top = Math.max(...[...counts.values()].map((e) => e.count));
  const candidates = [...counts.values()].filter((e) => e.count === top).map((e) => e.value);
  candidates.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  const majority = candidates[0];
  return perRow(rows, [col], (row) => ({ id: row.id, data: { ...row.data, [col]: majority } }));
}

export function selectColumn(rows: PipelineRow[], choiceMap: Record<string, string>, choiceCol: string, outputCol: string): BlockOutput {
  return perRow(rows, [choiceCol], (row) => {
    const choice = String(row.data[choiceCol]);
    const source = choiceMap[choice];
    if (source === undefined) return { rowId: row.id, reason: `unknown_choice: "${choice}" is not a key of choice_map`, data: row.data };
    if (!(source in row.data)) return { rowId: row.id, reason: `missing_column: the row has no "${source}"`, data: row.data };
    return { id: row.id, data: { ...row.data, [outputCol]: row.data[source] } };
  });
}

export function populateSamples(rows: PipelineRow[], configs: Record<string, Record<string, unknown>>, columnName: string): BlockOutput {
  return perRow(rows, [columnName], (row) => {
    const config = configs[String(row.data[columnName])];
    if (!config)
      return {
        rowId: row.id,
        reason: `unknown_config: no config named "${String(row.data[columnName])}" (have ${Object.keys(configs).join(', ')})`,
        data: row.data,
      };
    return { id: row.id, data: { ...row.data, ...config } };
  });
}

/** Removes the listed columns where present (InstructLab ignores names the rows do not have). */
export function dropColumns(rows: PipelineRow[], columns: string[]): PipelineRow[] {
  if (columns.length === 0) return rows;
  return rows.map((row) => ({ id: row.id, data: Object.fromEntries(Object.entries(row.data).filter(([key]) => !columns.includes(key))) }));
}

/** Keeps the first row of each group equal on `columns`; the others are rejected as duplicates. */
export function dropDuplicates(rows: PipelineRow[], columns: string[]): BlockOutput {
  if (columns.length === 0) return { rows, rejects: [] };
  const seen = new Map<string, string>();
  const out: BlockOutput = { rows: [], rejects: [] };
  for (const row of rows) {
    const key = JSON.stringify(columns.map((c) => row.data[c] ?? null));
    const first = seen.get(key);
    if (first) out.rejects.push({ rowId: row.id, reason: `duplicate: same ${columns.join(', ')} as row ${first}`, data: row.data });
    else {
      seen.set(key, row.id);
      out.rows.push(row);
    }
  }
  return out;
}

export type ColumnBlock = Extract<
  ResolvedBlock['type'],
  | 'DuplicateColumnsBlock'
  | 'RenameColumnsBlock'
  | 'CombineColumnsBlock'
  | 'FlattenColumnsBlock'
  | 'SetToMajorityValueBlock'
  | 'SelectorBlock'
  | 'SamplePopulatorBlock'
>;

export function runColumnBlock(block: ResolvedBlock, rows: PipelineRow[]): BlockOutput {
  const c = block.config;
  switch (block.type as ColumnBlock) {
    case 'DuplicateColumnsBlock':
      return duplicateColumns(rows, c.columns_map);
    case 'RenameColumnsBlock':
      return renameColumns(rows, c.columns_map);
    case 'CombineColumnsBlock':
      return combineColumns(rows, c.columns, c.output_col, c.separator);
    case 'FlattenColumnsBlock':
      return flattenColumns(rows, c.var_cols, c.value_name, c.var_name);
    case 'SetToMajorityValueBlock':
      return setToMajorityValue(rows, c.col_name);
    case 'SelectorBlock':
      return selectColumn(rows, c.choice_map, c.choice_col, c.output_col);
    case 'SamplePopulatorBlock':
      return populateSamples(rows, block.populate ?? {}, c.column_name);
  }
}
