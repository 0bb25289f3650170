// The filter stage of a batch: basic quality (empty, length, language) and then the build's own filter steps,
// over every candidate left after scoring. Returns what is kept, the rejections to write, and which kept records a
// step changed (PII redaction, HTML cleaning): only their content is written back.
import { buildFilterPipeline, runFilterPipeline } from '../domain/quality';
import type { DatasetRecord, RecordContent } from '../domain/records/types';
import type { BuildSettings } from '../workflows/build-settings';
import type { BatchRun } from './batch-run';
import type { RejectionWrite } from './build-writes';
import type { ActivityDeps } from './deps';

interface CandidateRow {
  id: string;
  content: RecordContent;
  score: number | null;
  source: string | null;
  chunk_id: string | null;
  keyed: boolean;
}

export interface FilteredCandidates {
  kept: DatasetRecord[];
  rejections: RejectionWrite[];
  /** Ids of kept records whose content a filter step changed. */
  changed: Set<string>;
  /** Ids of candidates stored without their dedup keys (content hash, MinHash): processing writes those it keeps. */
  unkeyed: Set<string>;
}

export async function filterCandidates(run: BatchRun, sourceText: Map<string, string>): Promise<FilteredCandidates> {
  const { sql, batchId } = run;
  const candidates = await sql<CandidateRow[]>`
    select id, content, score, source, chunk_id, (content_hash is not null and minhash is not null) as keyed from records
    where batch_id = ${batchId} and status = 'candidate' order by position`;
  const rejections: RejectionWrite[] = [];
  const survivors: DatasetRecord[] = candidates.map((c) => ({ id: c.id, content: c.content, score: c.score, source: c.source }));
  const chunkOf = new Map(candidates.map((c) => [c.id, c.chunk_id]));
  const generatedJson = new Map(candidates.map((c) => [c.id, JSON.stringify(c.content)]));
  const steps = buildFilterPipeline(basicFilters(run.deps, run.settings), {
    sourceText: (record) => {
      const chunkId = chunkOf.get(record.id);
      return chunkId ? sourceText.get(chunkId) : undefined;
    },
  });
  const filtered = await runFilterPipeline(survivors, steps);
  for (const r of filtered.rejected) rejections.push({ id: r.id, reason: r.step, detail: r.reason });
  const changed = new Set(filtered.kept.filter((r) => JSON.stringify(r.content) !== generatedJson.get(r.id)).map((r) => r.id));
  const unkeyed = new Set(candidates.filter((c) => !c.keyed).map((c) => c.id));
  return { kept: filtered.kept, rejections, changed, unkeyed };
}

/** Basic quality (empty, length, language) always runs; the build's own filter steps follow. */
function basicFilters(deps: ActivityDeps, settings: BuildSettings): Record<string, unknown>[] {
  const c = deps.config.curate;
  const steps: Record<string, unknown>[] = [{ step: 'empty' }, { step: 'length', minChars: c.min_chars, maxChars: c.max_chars }];
  if (c.languages.length) steps.push({ step: 'language', keep: c.languages });
  // Grounded generation comes with its own cheap check: answers in the chunk, questions about it.
  if (settings.generationMode === 'grounded') steps.push({ step: 'source_match' });
  return [...steps, ...settings.filters];
}
