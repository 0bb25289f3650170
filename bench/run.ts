// `npm run bench` runs every benchmark; `npm run bench -- saturation dedup` runs the ones named.
//   --quick   small sizes: a smoke run of every code path in a few minutes
//   --full    the heavy sizes of the issue (a 100k-record build, 100k-record dedup)
// Benchmarks print figures and their ratios to the targets; they never fail on timing.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { runBuildLoopBench } from './build-loop';
import { runDedupBench } from './dedup';
import { runIngestBench } from './ingest';
import { runScaleBench } from './scale';
import { runSharedBudgetBench } from './shared-budget';
import { runSmallBuildsBench } from './small-builds';

const BENCHES = ['saturation', 'overhead', 'dedup', 'scale', 'ingest', 'small-builds', 'shared-budget'] as const;
type BenchName = (typeof BENCHES)[number];

function parseArguments(argv: string[]): { names: BenchName[]; size: 'quick' | 'standard' | 'full' } {
  const names: BenchName[] = [];
  let size: 'quick' | 'standard' | 'full' = 'standard';
  for (const arg of argv) {
    if (arg === '--quick') size = 'quick';
    else if (arg === '--full') size = 'full';
    else if ((BENCHES as readonly string[]).includes(arg)) names.push(arg as BenchName);
    else throw new Error(`Unknown benchmark or flag "${arg}". Benchmarks: ${BENCHES.join(', ')}; flags: --quick, --full.`);
  }
  return { names: names.length ? names : [...BENCHES], size };
}

/** Which malloc this process runs on (scripts/allocator-env.sh picks jemalloc when installed): memory figures depend on it. */
function allocator(): string {
  try {
    if (readFileSync('/proc/self/maps', 'utf8').includes('libjemalloc')) return 'jemalloc';
  } catch {
    return 'malloc unknown';
  }
  return `glibc malloc (MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? 'unset'})`;
}

async function main(): Promise<void> {
  const { names, size } = parseArguments(process.argv.slice(2));
  const started = Date.now();
  console.log(
    `datacreek benchmarks (${size}): ${names.join(', ')} — ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${allocator()}, ${new Date().toISOString()}`,
  );
  const run = new Set(names);
  if (run.has('saturation') || run.has('overhead')) {
    console.log('');
    await runBuildLoopBench({
      target: size === 'quick' ? 600 : 3000,
      sections: { saturation: run.has('saturation'), overhead: run.has('overhead') },
      clientConcurrency: size === 'quick' ? [36] : undefined,
      naive: size !== 'quick' || run.has('saturation'),
      dumpSamples: process.env.BENCH_DUMP_SAMPLES,
    });
  }
  if (run.has('dedup')) {
    console.log('');
    await runDedupBench(size === 'quick' ? { records: 20_000, fresh: 4_000, planted: 1_000, hardNegatives: 500 } : {});
  }
  if (run.has('scale')) {
    console.log('');
    await runScaleBench({ target: size === 'full' ? 100_000 : size === 'quick' ? 2_000 : 20_000 });
  }
  if (run.has('ingest')) {
    console.log('');
    await runIngestBench();
  }
  if (run.has('small-builds')) {
    console.log('');
    // Quick: the six documents only, the sizes that run in seconds, plus one endpoint-filling build.
    await runSmallBuildsBench(size === 'quick' ? { targets: [20, 150, 3000], corpora: ['six'] } : {});
  }
  if (run.has('shared-budget')) {
    console.log('');
    await runSharedBudgetBench({ target: size === 'quick' ? 45 : 90 });
  }
  console.log(`\nall benchmarks done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

await main();
