// Every block type on small tables: the column blocks, FilterByValueBlock's conversions and operators, the
// output parser's edge cases, the model-family prompt formats, and the datacreek blocks that need no LLM.
import { describe, expect, it } from 'vitest';
import {
  combineColumns,
  dropDuplicates,
  duplicateColumns,
  flattenColumns,
  populateSamples,
  renameColumns,
  selectColumn,
  setToMajorityValue,
} from '../../../src/domain/pipelines/blocks/column-blocks';
import { runDedupBlock, runQualityFilterBlock } from '../../../src/domain/pipelines/blocks/datacreek-blocks';
import { convertPython, filterByValue } from '../../../src/domain/pipelines/blocks/filter-by-value';
import { generationSettings } from '../../../src/domain/pipelines/blocks/llm-blocks';
import { resolveModelFamily, wrapForCompletion } from '../../../src/domain/pipelines/model-prompts';
import { parseRows } from '../../../src/domain/pipelines/parse-output';
import { renderTemplate, compileTemplate, templateVariables } from '../../../src/domain/pipelines/template';
import type { PipelineRow, ResolvedBlock } from '../../../src/domain/pipelines/types';

const rows = (...data: Record<string, unknown>[]): PipelineRow[] => data.map((d, i) => ({ id: `r${i}`, data: d }));
const block = (type: ResolvedBlock['type'], config: Record<string, unknown>): ResolvedBlock => ({
  index: 0,
  name: 'b',
  type,
  config,
  dropColumns: [],
  dropDuplicates: [],
});

describe('column blocks', () => {
  it('DuplicateColumnsBlock copies, and rejects a row without the column', () => {
    const out = duplicateColumns(rows({ document: 'd' }, { other: 1 }), { document: 'base_document' });
    expect(out.rows).toEqual([{ id: 'r0', data: { document: 'd', base_document: 'd' } }]);
    expect(out.rejects[0]).toMatchObject({ rowId: 'r1', reason: 'missing_column: the row has no "document"' });
  });

  it('RenameColumnsBlock renames all at once, so two columns can swap names', () => {
    const out = renameColumns(rows({ document: 'raw', corrected_document: 'fixed' }), { document: 'raw_document', corrected_document: 'document' });
    expect(out.rows[0].data).toEqual({ raw_document: 'raw', document: 'fixed' });
    const clash = renameColumns(rows({ a: 1, b: 2 }), { a: 'b' });
    expect(clash.rejects[0].reason).toMatch(/^rename_clash/);
  });

  it('CombineColumnsBlock joins with a blank line by default', () => {
    expect(combineColumns(rows({ context: 'C', question: 'Q' }), ['context', 'question'], 'question').rows[0].data.question).toBe('C\n\nQ');
    expect(combineColumns(rows({ a: 'x', b: 2 }), ['a', 'b'], 'c', ' | ').rows[0].data.c).toBe('x | 2');
  });

  it('FlattenColumnsBlock melts like pandas: by column, then row, other columns kept', () => {
    const out = flattenColumns(rows({ id: 1, s: 'S1', b: 'B1' }, { id: 2, s: 'S2', b: 'B2' }), ['s', 'b'], 'document', 'dataset_type');
    expect(out.rows.map((r) => r.data)).toEqual([
      { id: 1, dataset_type: 's', document: 'S1' },
      { id: 2, dataset_type: 's', document: 'S2' },
      { id: 1, dataset_type: 'b', document: 'B1' },
      { id: 2, dataset_type: 'b', document: 'B2' },
    ]);
    expect(new Set(out.rows.map((r) => r.id)).size).toBe(4);
  });

  it('SetToMajorityValueBlock takes the mode, ties to the smallest value', () => {
    expect(setToMajorityValue(rows({ v: 'b' }, { v: 'a' }, { v: 'b' }), 'v').rows.map((r) => r.data.v)).toEqual(['b', 'b', 'b']);
    expect(setToMajorityValue(rows({ v: 3 }, { v: 1 }, { v: 3 }, { v: 1 }), 'v').rows.map((r) => r.data.v)).toEqual([1, 1, 1, 1]);
  });

  it('SelectorBlock picks the column the choice names; an unknown choice is a reject', () => {
    const out = selectColumn(rows({ pick: 'x', A: 'a', B: 'b' }, { pick: 'z', A: 'a' }), { x: 'B' }, 'pick', 'out');
    expect(out.rows[0].data.out).toBe('b');
    expect(out.rejects[0].reason).toMatch(/^unknown_choice: "z"/);
  });

  it('SamplePopulatorBlock merges the config the column names', () => {
    const out = populateSamples(rows({ kind: 'math' }, { kind: 'art' }), { math: { principles: 'be exact' } }, 'kind');
    expect(out.rows[0].data).toEqual({ kind: 'math', principles: 'be exact' });
    expect(out.rejects[0].reason).toMatch(/^unknown_config/);
  });

  it('drop_duplicates keeps the first of each group and names it in the reject', () => {
    const out = dropDuplicates(rows({ q: 'a' }, { q: 'b' }, { q: 'a' }), ['q']);
    expect(out.rows.map((r) => r.id)).toEqual(['r0', 'r1']);
    expect(out.rejects[0]).toMatchObject({ rowId: 'r2', reason: 'duplicate: same q as row r0' });
  });
});

describe('FilterByValueBlock', () => {
  it('converts with Python rules', () => {
    expect(convertPython(' 2.0 ', 'float')).toEqual({ ok: true, value: 2 });
    expect(convertPython('1e3', 'float')).toEqual({ ok: true, value: 1000 });
    expect(convertPython('2.5', 'int').ok).toBe(false);
    expect(convertPython(2.7, 'int')).toEqual({ ok: true, value: 2 });
    expect(convertPython('False', 'bool')).toEqual({ ok: true, value: true });
    expect(convertPython('', 'bool')).toEqual({ ok: true, value: false });
    expect(convertPython('abc', 'float').ok).toBe(false);
  });

  it('keeps rows equal to the converted value; a failed conversion is named in the reject', () => {
    const out = filterByValue(rows({ score: '2' }, { score: '1' }, { score: 'two' }), {
      filter_column: 'score',
      filter_value: 2.0,
      operation: 'eq',
      convert_dtype: 'float',
    });
    expect(out.rows).toEqual([{ id: 'r0', data: { score: 2 } }]);
    expect(out.rejects.map((r) => r.reason)).toEqual([
      'filtered: score=1 is not eq 2',
      expect.stringMatching(/^convert_failed: could not convert string to float: "two" \(used 0/),
    ]);
  });

  it('uses default_value for what does not convert, and keeps the row when the default passes', () => {
    const out = filterByValue(rows({ n: 'x' }), { filter_column: 'n', filter_value: 5, operation: 'eq', convert_dtype: 'int', default_value: '5' });
    expect(out.rows).toHaveLength(1);
  });

  it('a list of values is OR; ge/lt compare numbers; contains finds substrings', () => {
    const data = rows({ city: 'boston' }, { city: 'dublin' }, { city: 'paris' });
    expect(filterByValue(data, { filter_column: 'city', filter_value: ['boston', 'dublin'], operation: 'eq' }).rows).toHaveLength(2);
    expect(filterByValue(data, { filter_column: 'city', filter_value: 'bl', operation: 'contains' }).rows.map((r) => r.data.city)).toEqual(['dublin']);
    const scores = rows({ s: 1 }, { s: 2 }, { s: 3 });
    expect(filterByValue(scores, { filter_column: 's', filter_value: 2, operation: 'ge' }).rows).toHaveLength(2);
    expect(filterByValue(scores, { filter_column: 's', filter_value: 2, operation: 'lt' }).rows).toHaveLength(1);
    expect(filterByValue(scores, { filter_column: 's', filter_value: 2, operation: 'ne' }).rows).toHaveLength(2);
  });

  it('an order comparison of text with a number is a reject with the error, not a crash', () => {
    const out = filterByValue(rows({ s: 'high' }), { filter_column: 's', filter_value: 2, operation: 'gt' });
    expect(out.rejects[0].reason).toMatch(/^compare_error: 'gt' not supported between string and number/);
  });
});

describe('output parsing', () => {
  const tags = {
    outputCols: ['explanation', 'judgment'],
    startTags: ['[Start of Explanation]', '[Start of Answer]'],
    endTags: ['[End of Explanation]', '[End of Answer]'],
  };

  it('tags: one row per match position, values trimmed', () => {
    const parsed = parseRows('[Start of Explanation]\n because \n[End of Explanation]\n[Start of Answer] YES [End of Answer]', tags);
    expect(parsed.rows).toEqual([{ explanation: 'because', judgment: 'YES' }]);
  });

  it('"" and "" take the whole text; an empty answer or a missing tag is a reason, not a silent drop', () => {
    expect(parseRows('  all of it \n', { outputCols: ['output'], startTags: [''], endTags: [''] }).rows).toEqual([{ output: 'all of it' }]);
    expect(parseRows('', { outputCols: ['output'], startTags: [''], endTags: [''] }).reason).toMatch(/^no_match/);
    expect(parseRows('[Start of Explanation] x [End of Explanation]', tags).reason).toBe('no_match: the answer did not match the tags of "judgment"');
  });

  it('unequal match counts give as many rows as the shortest list', () => {
    const text = '[Start of Explanation]a[End of Explanation][Start of Explanation]b[End of Explanation][Start of Answer]YES[End of Answer]';
    expect(parseRows(text, tags).rows).toEqual([{ explanation: 'a', judgment: 'YES' }]);
  });

  it('a custom pattern: groups fill the columns in order, cleanup tags removed, each match one row', () => {
    const pattern = '\\[(?:Question|QUESTION)\\]\\s*(.*?)\\s*\\[(?:Answer|ANSWER)\\]\\s*(.*?)\\s*(?=\\[(?:Question|QUESTION)\\]|$)';
    const text = '[QUESTION]\nWhat?\n[ANSWER]\nThis.\n[END]\n\n[Question] Why? [Answer] Because. [End]';
    expect(parseRows(text, { outputCols: ['question', 'response'], pattern, cleanupTags: ['[END]', '[End]'] }).rows).toEqual([
      { question: 'What?', response: 'This.\n' },
      { question: 'Why?', response: 'Because. ' },
    ]);
    expect(parseRows('no pairs here', { outputCols: ['question', 'response'], pattern, cleanupTags: [] }).reason).toBe(
      'no_match: the answer did not match the parsing_pattern',
    );
  });

  it('a one-group pattern fills the first column, like findall', () => {
    expect(parseRows('<a>1</a><a>2</a>', { outputCols: ['x'], pattern: '<a>(.*?)</a>' }).rows).toEqual([{ x: '1' }, { x: '2' }]);
  });
});

describe('prompts', () => {
  it('renders rows strictly: a missing column is named', () => {
    const t = compileTemplate('Q: {{question}} D: {{document}}');
    expect(renderTemplate(t, { question: 'q', document: 'd' })).toEqual({ ok: true, text: 'Q: q D: d' });
    expect(renderTemplate(t, { question: 'q' })).toEqual({ ok: false, reason: 'missing_column: the row has no "document"' });
    expect(templateVariables('{% for x in items %}{{x}}{% endfor %}{{ a.b }}{% if c %}{% endif %}').sort()).toEqual(['a', 'c', 'items']);
  });

  it('wraps prompts in the model family format for /v1/completions', () => {
    expect(resolveModelFamily(undefined, 'mistralai/mistral-7b')).toBe('mistral');
    expect(resolveModelFamily(undefined, 'datacreek-test-llm')).toBe('merlinite');
    expect(() => resolveModelFamily('gpt9', 'x')).toThrow(/Unknown model family "gpt9"/);
    expect(wrapForCompletion('Hi', 'merlinite', undefined)).toBe('<|user|>\nHi\n<|assistant|>');
    expect(wrapForCompletion('Hi', 'mixtral', undefined)).toBe('<s> [INST] Hi [/INST]');
    expect(wrapForCompletion('Hi', 'llama', undefined)).toMatch(
      /^<\|begin_of_text\|><\|start_header_id\|>system.*<\|start_header_id\|>user<\|end_header_id\|>\n\nHi<\|eot_id\|><\|start_header_id\|>assistant<\|end_header_id\|>$/s,
    );
    expect(wrapForCompletion('Hi', 'llama', '')).toBe('Hi');
    expect(wrapForCompletion('Hi', 'llama', '### {{prompt}} ###')).toBe('### Hi ###');
  });

  it('gen_kwargs over InstructLab defaults; n scaled needs the number of instructions', () => {
    const b = block('LLMBlock', { gen_kwargs: { n: 'scaled', max_tokens: 100.0 } });
    expect(generationSettings(b, { model: 'm', numInstructions: 3 })).toMatchObject({ model: 'm', n: 3, temperature: 0, maxTokens: 100 });
    expect(() => generationSettings(b, { model: 'm' })).toThrow(/--num-instructions/);
    expect(generationSettings(block('LLMMessagesBlock', { gen_kwargs: { n: 2 } }), { model: 'm' }).temperature).toBe(0.7);
  });
});

describe('datacreek blocks without an LLM', () => {
  it('QualityFilterBlock: a length step rejects with its reason; pii redaction is written back into the columns', async () => {
    const data = rows({ question: 'What is the email?', response: 'Write to jane.doe@example.com for details.' }, { question: 'Q?', response: 'no' });
    const length = await runQualityFilterBlock(block('QualityFilterBlock', { filter: { step: 'length', response: { minChars: 5 } } }), data);
    expect(length.rows.map((r) => r.id)).toEqual(['r0']);
    expect(length.rejects[0].reason).toMatch(/^too_short/);
    const pii = await runQualityFilterBlock(block('QualityFilterBlock', { filter: { step: 'pii', action: 'redact', kinds: ['email'] } }), data);
    expect(pii.rows[0].data.response).toBe('Write to [EMAIL] for details.');
  });

  it('DedupBlock: exact and MinHash duplicates are rejected with the row they repeat', async () => {
    const text = 'The quick brown fox jumps over the lazy dog near the riverbank at dawn every single day.';
    const data = rows({ q: text }, { q: text }, { q: `${text} Again.` }, { q: 'Something else entirely, about tax law in Norway.' });
    const exact = await runDedupBlock(block('DedupBlock', { method: 'exact', columns: ['q'] }), data, {} as never);
    expect(exact.rejects.map((r) => r.rowId)).toEqual(['r1']);
    expect(exact.rejects[0].reason).toMatch(/^exact_duplicate: of row r0/);
    const near = await runDedupBlock(block('DedupBlock', { method: 'minhash', threshold: 0.7, columns: ['q'] }), data, {} as never);
    expect(near.rejects.map((r) => r.rowId).sort()).toEqual(['r1', 'r2']);
  });
});
