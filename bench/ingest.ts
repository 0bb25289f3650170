// Ingestion throughput on the committed real-world fixtures: pages/s for PDF, slides/s for PPTX,
// MB/s for DOCX and HTML, plus chunking speed. Prints rates, never pass/fail.
// Run alone with `npx tsx bench/ingest.ts`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS } from '../src/domain/chunking';
import { parseDocument, type ParsedDocument } from '../src/domain/parsers';

const FIXTURES = fileURLToPath(new URL('../tests/fixtures/docs/', import.meta.url));
const ROUNDS = 5;

interface Case {
  file: string;
  unit: 'pages' | 'slides' | 'MB';
}

const CASES: Case[] = [
  { file: 'pdf/multi_page.pdf', unit: 'pages' },
  { file: 'pdf/normal_4pages_korean.pdf', unit: 'pages' },
  { file: 'pptx/markitdown_test_autogen.pptx', unit: 'slides' },
  { file: 'pptx/docling_powerpoint_sample.pptx', unit: 'slides' },
  { file: 'docx/markitdown_test_autogen.docx', unit: 'MB' },
  { file: 'docx/docling_word_sample.docx', unit: 'MB' },
  { file: 'html/autogen_blog_docusaurus.html', unit: 'MB' },
  { file: 'html/wikipedia_duck.html', unit: 'MB' },
  { file: 'markdown/moo_deng_wikipedia.md', unit: 'MB' },
];

function amount(unit: Case['unit'], bytes: Uint8Array, doc: ParsedDocument): number {
  if (unit === 'pages') return Number(doc.metadata.pageCount);
  if (unit === 'slides') return Number(doc.metadata.slideCount);
  return bytes.length / 1024 / 1024;
}

export async function runIngestBench(): Promise<void> {
  console.log(`ingest: parsing each fixture ${ROUNDS} times after one warm-up (median round)`);
  const parsed: ParsedDocument[] = [];
  for (const { file, unit } of CASES) {
    const bytes = new Uint8Array(readFileSync(`${FIXTURES}${file}`));
    const fileName = file.split('/').pop()!;
    const doc = await parseDocument({ fileName, bytes }); // warm-up: module loading, JIT
    parsed.push(doc);
    const seconds = await medianSeconds(() => parseDocument({ fileName, bytes }));
    const rate = amount(unit, bytes, doc) / seconds;
    const shown = unit === 'MB' ? `${rate.toFixed(2)} MB/s` : `${rate.toFixed(1)} ${unit}/s`;
    console.log(`  ${file.padEnd(38)} ${shown.padStart(16)}   ${(seconds * 1000).toFixed(1).padStart(7)} ms/file   ${doc.text.length} chars`);
  }

  // Chunking over everything parsed, repeated to a few MB so the timing is meaningful.
  const corpus = parsed.map((doc) => doc.text).join('\n\n');
  const big: ParsedDocument = {
    fileName: 'corpus.txt',
    format: 'text',
    text: corpus.repeat(Math.max(1, Math.ceil(2_000_000 / corpus.length))),
    segments: [],
    metadata: {},
  };
  big.segments = [{ start: 0, end: big.text.length }];
  const megabytes = Buffer.byteLength(big.text) / 1024 / 1024;
  for (const strategy of ['basic', 'sliding', 'token'] as const) {
    const options = { ...DEFAULT_CHUNK_OPTIONS, strategy, chunkSize: strategy === 'token' ? 1000 : 4000, overlap: strategy === 'basic' ? 0 : 200 };
    await chunkDocument(big, options);
    const seconds = await medianSeconds(() => chunkDocument(big, options), 3);
    console.log(`  chunk ${strategy.padEnd(32)} ${`${(megabytes / seconds).toFixed(2)} MB/s`.padStart(16)}   (${megabytes.toFixed(1)} MB of parsed text)`);
  }
}

async function medianSeconds(run: () => Promise<unknown>, rounds = ROUNDS): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    times.push((performance.now() - started) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runIngestBench();
}
