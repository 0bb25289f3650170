// InstructLab taxonomy files (qna.yaml) as pipeline input. Knowledge: the referenced documents are chunked
// and every chunk is paired with every seed example, giving the rows InstructLab's knowledge pipelines read
// (document, icl_document, icl_query_1..3, icl_response_1..3, domain, document_outline, leaf_node_type).
// Skills: one row per seed example (task_description, seed_question, seed_response, and seed_context for
// grounded skills). A document's `repo`/`commit` cannot be cloned at run time, so its `patterns` are
// matched in a local folder: the qna.yaml's own folder, or a docs folder given with the run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import { chunkDocument } from '../chunking';
import { parseDocument } from '../parsers';
import type { PipelineRow } from './types';

export class TaxonomyError extends Error {
  readonly code = 'InvalidTaxonomy';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(`${message} — ${hint}`);
    this.name = 'TaxonomyError';
  }
}

export interface TaxonomyOptions {
  /** Where the document patterns are matched (default: the qna.yaml's folder). */
  docsDir?: string;
  /** Characters per knowledge chunk (InstructLab's 1000 words are about 6000 characters). */
  chunkChars?: number;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}

/** Rows for one qna.yaml; ids are `<leaf>/<n>` so a rerun produces the same rows. */
export async function taxonomyRows(qnaPath: string, options: TaxonomyOptions = {}): Promise<PipelineRow[]> {
  let contents: any;
  try {
    contents = parseYaml(readFileSync(qnaPath, 'utf8'));
  } catch (error) {
    throw new TaxonomyError(`${qnaPath} cannot be read as YAML (${(error as Error).message.split('\n')[0]})`, 'give the path of an InstructLab qna.yaml');
  }
  const seeds = contents?.seed_examples;
  if (!Array.isArray(seeds) || seeds.length === 0)
    throw new TaxonomyError(
      `${qnaPath} has no seed_examples`,
      'a qna.yaml lists seed_examples (knowledge: context + questions_and_answers; skills: question + answer)',
    );
  const leaf = basename(dirname(resolve(qnaPath)));
  const domain = contents.domain ?? '';
  const isKnowledge = seeds.some((s: any) => Array.isArray(s?.questions_and_answers));

  if (!isKnowledge) {
    return seeds.map((seed: any, i: number) => {
      if (typeof seed?.question !== 'string' || typeof seed?.answer !== 'string') {
        throw new TaxonomyError(
          `${qnaPath} seed_examples[${i}] has no question and answer`,
          'each skill seed example needs question and answer (and context for grounded skills)',
        );
      }
      const data: Record<string, unknown> = { task_description: contents.task_description ?? '', seed_question: seed.question, seed_response: seed.answer };
      if (seed.context) data.seed_context = seed.context;
      data.leaf_node_type = seed.context ? 'grounded_skill' : 'freeform_skill';
      data.domain = domain;
      data.leaf_node_path = leaf;
      return { id: `${leaf}/${i}`, data };
    });
  }

  const patterns: string[] = contents.document?.patterns ?? [];
  if (patterns.length === 0)
    throw new TaxonomyError(`${qnaPath} has no document.patterns`, 'a knowledge qna.yaml names its documents under document: { repo, commit, patterns }');
  const docsDir = resolve(options.docsDir ?? dirname(resolve(qnaPath)));
  const matchers = patterns.map((p) => picomatch(p, { dot: false }));
  const files = listFiles(docsDir)
    .filter((file) => /\.(md|pdf)$/i.test(file))
    .filter((file) => matchers.some((match) => match(relative(docsDir, file)) || match(basename(file))))
    .sort();
  if (files.length === 0) {
    throw new TaxonomyError(
      `no document in ${docsDir} matches ${patterns.join(', ')} (from ${qnaPath})`,
      `put the files of ${contents.document?.repo ?? 'the document repo'} next to the qna.yaml, or pass --docs DIR with them (Markdown or PDF)`,
    );
  }
  const chunks: string[] = [];
  for (const file of files) {
    const doc = await parseDocument({ fileName: basename(file), bytes: readFileSync(file) });
    const pieces = await chunkDocument(doc, { strategy: 'basic', chunkSize: options.chunkChars ?? 6000, overlap: 0, wholeDocumentBelow: 0 });
    chunks.push(...pieces.map((c) => c.text));
  }
  const rows: PipelineRow[] = [];
  chunks.forEach((chunk, c) => {
    seeds.forEach((seed: any, s: number) => {
      const data: Record<string, unknown> = {
        document: chunk,
        icl_document: seed.context ?? '',
        document_outline: contents.document_outline ?? '',
        domain,
        leaf_node_type: 'knowledge',
        leaf_node_path: leaf,
      };
      (seed.questions_and_answers ?? []).forEach((qna: any, i: number) => {
        data[`icl_query_${i + 1}`] = qna?.question ?? '';
        data[`icl_response_${i + 1}`] = qna?.answer ?? '';
      });
      rows.push({ id: `${leaf}/c${c}/s${s}`, data });
    });
  });
  return rows;
}
