// Builds of every size pay only for what they keep: targets from 20 to 3,000 records, on six small documents and
// on a larger corpus (every document fixture plus 2,000 synthetic chunks), each with and without a judge, against the test LLM
// server (C = 32 slots, L = 500 ms). Per build: surplus (generated, passing, never needed) as a share of the
// target; completion tokens per accepted record against the ideal (completion tokens per candidate ÷ the yield of
// the candidates that were needed: what the build would cost with no surplus at all); wall time; time from starting
// the workflow to the first LLM request and to the first accepted record; the endpoint's slot-busy.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { PROJECT_ROOT } from '../src/infra/config/load';
import { connectDatabase } from '../src/infra/db/client';
import type { BuildInput } from '../src/workflows/build-input';
import { seedSyntheticDataset } from './support/corpus';
import { startLlmServerProcess } from './support/llm-process';
import { runMeasuredBuild } from './support/measured-build';
import { consoleLog, formatNumber, type Log } from './support/report';
import { startBenchServices } from './support/stack';

const DOCS = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'docs');

/** A Markdown page, an HTML page, two PDFs, a DOCX and a PPTX. */
const SIX_DOCUMENTS = [
  'markdown/moo_deng_wikipedia.md',
  'html/autogen_blog_docusaurus.html',
  'pdf/multi_page.pdf',
  'pdf/normal_4pages_korean.pdf',
  'docx/docling_word_sample.docx',
  'pptx/docling_powerpoint_sample.pptx',
].map((file) => ({ path: path.join(DOCS, file) }));

/**
 * Every document fixture (ingest skips the few it cannot read, such as the password-protected PDF) and the
 * saturation benchmark's synthetic corpus. Not the dataset fixtures: the test server's variants of their few
 * hundred seed records are mostly duplicates of each other, so a 3,000-record build from them runs for many
 * minutes at a yield near zero, which measures the test server, not the launch.
 */
const CORPORA = {
  six: { documents: SIX_DOCUMENTS, syntheticChunks: 0 },
  larger: { documents: [{ path: DOCS }], syntheticChunks: 2000 },
} as const;

export interface SmallBuildsOptions {
  targets?: number[];
  corpora?: (keyof typeof CORPORA)[];
  scoring?: ('none' | 'judge')[];
  slots?: number;
  latencyMs?: number;
  log?: Log;
}

export interface SmallBuildFigures {
  corpus: string;
  scoring: string;
  target: number;
  accepted: number;
  generated: number;
  surplus: number;
  surplusShare: number;
  tokensPerAccepted: number;
  idealTokensPerAccepted: number;
  wallSeconds: number;
  firstRequestSeconds: number;
  firstAcceptedSeconds: number | null;
  slotBusy: number;
}

/**
 * Rounds over the sources before a build gives up (max_rounds): enough for 500 judged records from the six
 * documents' few chunks. 3,000 distinct records are more than the test server makes from them; those builds end here.
 */
const MAX_ROUNDS = 150;

const TARGETS = { surplusShare: 0.1, tokenRatio: 1.15, firstRequestSeconds: 1, slotBusyLarge: 0.85 };

export async function runSmallBuildsBench(options: SmallBuildsOptions = {}): Promise<SmallBuildFigures[]> {
  const log = options.log ?? consoleLog;
  const slots = options.slots ?? 32;
  const latencyMs = options.latencyMs ?? 500;
  const targets = options.targets ?? [20, 50, 150, 500, 3000];
  const corpora = options.corpora ?? ['six', 'larger'];
  const scorings = options.scoring ?? ['none', 'judge'];
  log(`small builds: endpoint C = ${slots}, L = ${latencyMs} ms; targets ${targets.join(', ')}; corpora ${corpora.join(', ')}; scoring ${scorings.join(', ')}`);
  const services = await startBenchServices('small-builds');
  const llm = await startLlmServerProcess({ concurrency: slots, latencyMs });
  const db = connectDatabase(services.databaseUrl, { poolSize: 1 });
  const results: SmallBuildFigures[] = [];
  try {
    for (const corpus of corpora) {
      for (const scoring of scorings) {
        for (const target of targets) {
          const datasetId = `small-${corpus}-${scoring}-${target}`;
          const prepare = async ({ client, taskQueue }: { client: Client; taskQueue: string }) => {
            await client.workflow.execute('ingestWorkflow', {
              taskQueue,
              workflowId: `ingest-${datasetId}`,
              args: [{ datasetId, items: [...CORPORA[corpus].documents] }],
            });
            if (CORPORA[corpus].syntheticChunks) await seedSyntheticDataset(db.sql, datasetId, CORPORA[corpus].syntheticChunks);
          };
          // Six documents are only a few chunks: a large target needs many rounds of new variations of them.
          const input: Partial<BuildInput> = { scoring: { mode: scoring, threshold: 7 }, maxRounds: MAX_ROUNDS };
          const build = await runMeasuredBuild({ services, llm, slots, datasetId, chunks: 0, target, input, prepare, sampleEveryMs: 50, log });
          const [counts] = await db.sql<{ generated: number }[]>`
            select count(*) filter (where content is not null)::int as generated from records where dataset_id = ${datasetId}`;
          const accepted = build.progress.accepted;
          const generated = counts.generated;
          const surplus = build.surplusRecords;
          const completionTokens = build.server.completionTokens;
          // Ideal: every needed candidate costs what candidates cost on average, and no candidate is surplus.
          const tokensPerCandidate = completionTokens / Math.max(1, generated);
          const yieldOfNeeded = accepted / Math.max(1, generated - surplus);
          const figures: SmallBuildFigures = {
            corpus,
            scoring,
            target,
            accepted,
            generated,
            surplus,
            surplusShare: surplus / target,
            tokensPerAccepted: completionTokens / Math.max(1, accepted),
            idealTokensPerAccepted: tokensPerCandidate / Math.max(1e-9, yieldOfNeeded),
            wallSeconds: build.wallMs / 1000,
            firstRequestSeconds: build.firstRequestMs / 1000,
            firstAcceptedSeconds: build.firstAcceptedMs === null ? null : build.firstAcceptedMs / 1000,
            slotBusy: build.server.slotBusyMs / (slots * build.wallMs),
          };
          results.push(figures);
          log(row(figures) + (build.progress.stopReason !== 'target_reached' ? ` — stopped: ${build.progress.stopReason}` : ''));
        }
      }
    }
    log('');
    log(table(results));
    log(verdicts(results));
    return results;
  } finally {
    await db.close();
    await llm.close();
    await services.stop();
  }
}

function row(f: SmallBuildFigures): string {
  return (
    `  ${f.corpus}/${f.scoring}/${f.target}: ${f.accepted} accepted of ${f.generated} generated, surplus ${f.surplus} (${pct(f.surplusShare)} of target), ` +
    `${formatNumber(f.tokensPerAccepted)} tokens/accepted (ideal ${formatNumber(f.idealTokensPerAccepted)}), wall ${f.wallSeconds.toFixed(1)} s, ` +
    `first request ${f.firstRequestSeconds.toFixed(2)} s, first accepted ${f.firstAcceptedSeconds?.toFixed(2) ?? '—'} s, slot-busy ${f.slotBusy.toFixed(2)}`
  );
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

/** The results as the Markdown table BENCHMARKS.md keeps. */
function table(results: SmallBuildFigures[]): string {
  const lines = [
    '| corpus | scoring | target | generated | surplus ÷ target | tokens/accepted ÷ ideal | wall | first request | first accepted | slot-busy |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const f of results) {
    lines.push(
      `| ${f.corpus} | ${f.scoring} | ${f.target} | ${f.generated} | ${pct(f.surplusShare)} | ${(f.tokensPerAccepted / f.idealTokensPerAccepted).toFixed(3)} (${formatNumber(f.tokensPerAccepted)}) | ` +
        `${f.wallSeconds.toFixed(1)} s | ${f.firstRequestSeconds.toFixed(2)} s | ${f.firstAcceptedSeconds?.toFixed(2) ?? '—'} s | ${f.slotBusy.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

function verdicts(results: SmallBuildFigures[]): string {
  const worst = (pick: (f: SmallBuildFigures) => number) => Math.max(...results.map(pick));
  const surplus = worst((f) => f.surplusShare);
  const tokens = worst((f) => f.tokensPerAccepted / f.idealTokensPerAccepted);
  const firstRequest = worst((f) => f.firstRequestSeconds);
  const large = results.filter((f) => f.target >= 3000);
  const slotBusy = large.length ? Math.min(...large.map((f) => f.slotBusy)) : NaN;
  const met = (ok: boolean) => (ok ? '(met)' : '(MISSED)');
  return [
    `  worst surplus ÷ target ${pct(surplus)} → limit ${pct(TARGETS.surplusShare)} ${met(surplus <= TARGETS.surplusShare)}`,
    `  worst tokens/accepted ÷ ideal ${tokens.toFixed(3)} → limit ${TARGETS.tokenRatio} ${met(tokens <= TARGETS.tokenRatio)}`,
    `  worst time to first request ${firstRequest.toFixed(2)} s → limit ${TARGETS.firstRequestSeconds} s ${met(firstRequest <= TARGETS.firstRequestSeconds)}`,
    large.length
      ? `  lowest slot-busy of the 3,000-record builds ${slotBusy.toFixed(3)} → target ≥ ${TARGETS.slotBusyLarge} ${met(slotBusy >= TARGETS.slotBusyLarge)}`
      : '  (no 3,000-record build in this run: slot-busy target not judged)',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runSmallBuildsBench();
}
