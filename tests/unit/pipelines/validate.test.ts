// Validation before anything runs: InstructLab's shipped files pass unchanged, and each kind of mistake is
// reported with its file, block, path and fix.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPipeline, loadPipelineFile, PipelineValidationError, publishedPipelineSchema, BLOCK_TYPES } from '../../../src/domain/pipelines';
import type { PipelineIssue } from '../../../src/domain/pipelines';

const FIXTURES = path.resolve(__dirname, '../../fixtures/instructlab');
const dir = mkdtempSync(path.join(tmpdir(), 'pipelines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  path.join(dir, 'ok.yaml'),
  'system: s\nintroduction: i\nprinciples: p\nexamples: ""\ngeneration: "{{question}}"\nstart_tags: [""]\nend_tags: [""]\n',
);
writeFileSync(path.join(dir, 'no-generation.yaml'), 'system: s\nintroduction: i\nprinciples: p\nexamples: ""\nstart_tags: [""]\nend_tags: [""]\n');

function issuesOf(yaml: string, inputColumns?: string[]): PipelineIssue[] {
  try {
    loadPipeline(yaml, { file: 'p.yaml', baseDir: dir, inputColumns });
  } catch (error) {
    if (error instanceof PipelineValidationError) return error.issues;
    throw error;
  }
  return [];
}

const llmBlock = (configPath: string) => `  - name: answer\n    type: LLMBlock\n    config:\n      config_path: ${configPath}\n      output_cols: [response]\n`;

describe("InstructLab's shipped pipelines", () => {
  const files = ['simple', 'full', 'llama', 'eval'].flatMap((group) =>
    readdirSync(path.join(FIXTURES, 'pipelines', group)).map((f) => path.join(FIXTURES, 'pipelines', group, f)),
  );
  it.each(files.map((f) => [path.relative(FIXTURES, f), f]))('%s validates unchanged', (_, file) => {
    const pipeline = loadPipelineFile(file);
    expect(pipeline.blocks.length).toBeGreaterThan(0);
    expect(pipeline.warnings).toEqual([]);
  });

  it('the datacreek pipelines shipped in configs/pipelines validate', () => {
    const shipped = path.resolve(__dirname, '../../../configs/pipelines');
    const names = readdirSync(shipped).filter((f) => f.endsWith('.yaml') && statSync(path.join(shipped, f)).isFile());
    expect(names.sort()).toEqual(['conversation.yaml', 'cot.yaml', 'preference.yaml', 'qa.yaml', 'summary.yaml']);
    for (const name of names) expect(loadPipelineFile(path.join(shipped, name), { inputColumns: ['document'] }).blocks.length).toBeGreaterThan(0);
  });
});

describe('validation errors', () => {
  it('a bad block type names the block and lists the known types', () => {
    const [issue] = issuesOf('version: "1.0"\nblocks:\n  - name: x\n    type: LLMBlok\n    config: {}\n');
    expect(issue).toMatchObject({ file: 'p.yaml', block: '#1 x (LLMBlok)', path: 'blocks[0].type', message: '"LLMBlok" is not a block type' });
    expect(issue.fix).toContain('LLMBlock');
  });

  it('a prompt config without a required key says which key and how to add it', () => {
    const [issue] = issuesOf(`version: "1.0"\nblocks:\n${llmBlock('no-generation.yaml')}`);
    expect(issue.block).toBe('#1 answer (LLMBlock)');
    expect(issue.path).toBe(`${path.join(dir, 'no-generation.yaml')} › generation`);
    expect(issue.message).toBe('the prompt config has no "generation" key');
    expect(issue.fix).toMatch(/^add generation: ""/);
  });

  it('an unknown column names what is available and where', () => {
    const issues = issuesOf(
      `version: "1.0"\nblocks:\n${llmBlock('ok.yaml')}  - name: keep\n    type: FilterByValueBlock\n    config: {filter_column: answer, filter_value: "x", operation: eq}\n`,
      ['question'],
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      block: '#2 keep (FilterByValueBlock)',
      path: 'blocks[1].config.filter_column',
      message: 'reads column "answer", which neither the input nor an earlier block produces',
    });
    expect(issues[0].fix).toBe('use one of the columns available here: question, response; or add a block that produces "answer"');
  });

  it('a template variable no input column provides is an error when the input is known, a requirement when not', () => {
    expect(issuesOf(`version: "1.0"\nblocks:\n${llmBlock('ok.yaml')}`, ['document'])[0].path).toBe('blocks[0].config.config_path › {{question}}');
    expect(loadPipeline(`version: "1.0"\nblocks:\n${llmBlock('ok.yaml')}`, { file: 'p.yaml', baseDir: dir }).requiredInputColumns).toEqual(['question']);
  });

  it('a column removed by an earlier block cannot be read later', () => {
    const issues = issuesOf(
      `version: "1.0"\nblocks:\n  - name: mv\n    type: RenameColumnsBlock\n    config: {columns_map: {question: q}}\n${llmBlock('ok.yaml')}`,
      ['question'],
    );
    expect(issues[0].message).toBe('reads column "question", which block #1 mv (RenameColumnsBlock) removed');
  });

  it('version 2.0 is refused; 1.1 is a warning', () => {
    const [issue] = issuesOf(`version: "2.0"\nblocks:\n${llmBlock('ok.yaml')}`);
    expect(issue).toMatchObject({ path: 'version', message: '"2.0" is from a future major version of the format; this datacreek reads 1.x' });
    expect(loadPipeline(`version: "1.1"\nblocks:\n${llmBlock('ok.yaml')}`, { file: 'p.yaml', baseDir: dir }).warnings[0]).toMatch(
      /1\.1.*may use features of a newer format/,
    );
  });

  it('unknown keys, tag counts and bad regexes are reported with their paths', () => {
    const issues = issuesOf(`version: "1.0"\nblocks:\n${llmBlock('ok.yaml')}    drop_rows: [x]\n`);
    expect(issues[0]).toMatchObject({ path: 'blocks[0].drop_rows', message: 'is not a known key here' });
    const tagIssues = issuesOf(
      `version: "1.0"\nblocks:\n  - name: two\n    type: LLMBlock\n    config:\n      config_path: ok.yaml\n      output_cols: [a, b]\n`,
    );
    expect(tagIssues[0].message).toMatch(/start_tags \(1\) and end_tags \(1\) must have one entry per output column \(2: a, b\)/);
    const regex = issuesOf(
      `version: "1.0"\nblocks:\n  - name: r\n    type: LLMBlock\n    config:\n      config_path: ok.yaml\n      output_cols: [a]\n      parser_kwargs: {parser_name: custom, parsing_pattern: "(unclosed"}\n`,
    );
    expect(regex[0].path).toBe('blocks[0].config.parser_kwargs.parsing_pattern');
  });

  it('the published schema extends InstructLab v1 with every block type', () => {
    const schema = publishedPipelineSchema() as any;
    expect(schema.required).toEqual(['version', 'blocks']);
    expect(schema.properties.blocks.items.properties.type.enum).toEqual(BLOCK_TYPES);
    expect(schema.properties.blocks.items.properties.config.anyOf.map((s: any) => s.description.split(' ')[0])).toEqual(BLOCK_TYPES);
  });
});
