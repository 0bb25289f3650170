// Benchmarks 1 and 2: endpoint saturation and orchestration overhead over whole real builds.
// The endpoint is the test LLM server with C slots and a fixed latency L per request, so the most any client
// can get is C/L requests per second; the build should keep every slot busy from its first request to its
// last, and cost little beside the LLM work (wall time ÷ (total slot time ÷ C) close to 1). Two builds run: the
// worker sending at most C requests at once (llm.concurrency = C), and with one eighth more, so that a slot the
// server frees finds a request already waiting (what vLLM's own queue does). The same run times a naive loop
// (batches of C that wait for all, stages one after another) for comparison.
import { writeFileSync } from 'node:fs';
import { connectDatabase } from '../src/infra/db/client';
import type { BuildInput } from '../src/workflows/build-input';
import { startLlmServerProcess, type LlmServerProcess } from './support/llm-process';
import { runMeasuredBuild, type MeasuredBuild } from './support/measured-build';
import { runNaiveLoop } from './support/naive-loop';
import { consoleLog, figure, occupancyStrip, type Log } from './support/report';
import { startBenchServices, type BenchServices } from './support/stack';

export interface BuildLoopBenchOptions {
  /** Endpoint slots C and latency L. */
  slots?: number;
  latencyMs?: number;
  target?: number;
  /** Print the saturation section, the overhead section, or both (the same builds serve both). */
  sections?: { saturation: boolean; overhead: boolean };
  /** Also run the naive loop baseline (part of the saturation section). */
  naive?: boolean;
  /** The worker's llm.concurrency for each build; default [C, C + C/8]. */
  clientConcurrency?: number[];
  /** Build input overrides (batchSize, concurrency …) for experiments; unset: the config's defaults. */
  input?: Partial<BuildInput>;
  /** Write each build's samples (ms, in flight, waiting, answered) as TSV files with this prefix. */
  dumpSamples?: string;
  log?: Log;
}

export interface BuildFigures {
  clientConcurrency: number;
  wallSeconds: number;
  requests: number;
  /** Achieved requests/s between the first request and the last answer, ÷ C/L. */
  generationRatio: number;
  /** Slot time ÷ (C × whole build wall time). */
  slotBusy: number;
  peakInFlight: number;
  /** Wall time ÷ (total slot time ÷ C). */
  overhead: number;
  /** Seconds from starting the workflow to its first LLM request, and from the last answer to the result. */
  startSeconds: number;
  endSeconds: number;
  historyEventsPerRun: number[];
  activities: Record<string, number>;
  llmCallsPerBatchActivity: number;
  /** Candidates generated but not needed (surplus) ÷ generated. */
  surplusShare: number;
  workerCpuShare: number;
}

export interface BuildLoopBenchResult {
  limitPerSecond: number;
  builds: BuildFigures[];
  naive?: { wallSeconds: number; requests: number; ratio: number; slotBusy: number; peakInFlight: number };
}

export async function runBuildLoopBench(options: BuildLoopBenchOptions = {}): Promise<BuildLoopBenchResult> {
  const log = options.log ?? consoleLog;
  const slots = options.slots ?? 32;
  const latencyMs = options.latencyMs ?? 500;
  const target = options.target ?? 3000;
  const sections = options.sections ?? { saturation: true, overhead: true };
  const limitPerSecond = slots / (latencyMs / 1000);
  const chunks = Math.ceil(target / 1.5);
  const clientConcurrency = options.clientConcurrency ?? [slots, slots + Math.ceil(slots / 8)];

  log(
    `build loop: endpoint C = ${slots} slots, L = ${latencyMs} ms → limit C/L = ${limitPerSecond} requests/s; builds of ${target} records from ${chunks} chunks`,
  );
  const services = await startBenchServices('build-loop');
  const llm = await startLlmServerProcess({ concurrency: slots, latencyMs });
  try {
    const result: BuildLoopBenchResult = { limitPerSecond, builds: [] };
    for (const [i, concurrency] of clientConcurrency.entries()) {
      const datasetId = `bench-loop-${target}-${i}`;
      const build = await runMeasuredBuild({ services, llm, slots, clientConcurrency: concurrency, datasetId, chunks, target, input: options.input, log });
      if (options.dumpSamples) {
        writeFileSync(`${options.dumpSamples}-${concurrency}.tsv`, build.samples.map((s) => `${s.t}\t${s.inFlight}\t${s.queued}\t${s.completed}`).join('\n'));
      }
      const figures = summarize(build, slots, latencyMs, concurrency);
      result.builds.push(figures);
      log(`  llm.concurrency = ${concurrency} (the worker's requests at once; the server serves ${slots}):`);
      if (sections.saturation) printSaturation(build, figures, slots, log);
      if (sections.overhead) printOverhead(figures, log);
    }
    if (sections.saturation && options.naive !== false)
      result.naive = await runNaive(services, llm, `bench-loop-${target}-0`, slots, target, limitPerSecond, result.builds, log);
    return result;
  } finally {
    await llm.close();
    await services.stop();
  }
}

async function runNaive(
  services: BenchServices,
  llm: LlmServerProcess,
  datasetId: string,
  slots: number,
  target: number,
  limitPerSecond: number,
  builds: BuildFigures[],
  log: Log,
): Promise<BuildLoopBenchResult['naive']> {
  const db = connectDatabase(services.databaseUrl, { poolSize: 1 });
  const texts = (await db.sql<{ text: string }[]>`select text from chunks where dataset_id = ${datasetId} order by id`).map((r) => r.text);
  await db.close();
  await llm.resetStats();
  const run = await runNaiveLoop({ url: llm.url, slots, target, texts, itemsPerChunk: 5, judgeBatchSize: 5, threshold: 7 });
  const stats = await llm.stats();
  const naive = {
    wallSeconds: run.wallMs / 1000,
    requests: stats.requests,
    ratio: stats.requests / (run.wallMs / 1000) / limitPerSecond,
    slotBusy: stats.slotBusyMs / (slots * run.wallMs),
    peakInFlight: stats.peakInFlight,
  };
  log(`  naive loop, llm.concurrency = ${slots} (batches of C that wait for all; generate → judge → embed → dedup in turn):`);
  log(figure('requests/s ÷ C/L', naive.ratio, ''));
  log(figure('slot-busy over its run', naive.slotBusy, ''));
  log(figure('peak in-flight', naive.peakInFlight, `of ${slots}`));
  log(figure('wall time', naive.wallSeconds, `s for ${run.accepted} records`));
  const build = builds[0];
  log(figure('build ÷ naive: requests/s', build.generationRatio / naive.ratio, `× (build at llm.concurrency ${build.clientConcurrency}, naive at ${slots})`));
  log(figure('build ÷ naive: wall time', build.wallSeconds / naive.wallSeconds, '×'));
  return naive;
}

function summarize(build: MeasuredBuild, slots: number, latencyMs: number, clientConcurrency: number): BuildFigures {
  const answered = Object.values(build.server.byStatus).reduce((a, b) => a + b, 0);
  const windowSeconds = (build.lastAnswerMs - build.firstRequestMs) / 1000;
  const activities: Record<string, number> = {};
  for (const run of build.runs) for (const [type, n] of Object.entries(run.activities)) activities[type] = (activities[type] ?? 0) + n;
  const p = build.progress;
  return {
    clientConcurrency,
    wallSeconds: build.wallMs / 1000,
    requests: answered,
    generationRatio: answered / windowSeconds / (slots / (latencyMs / 1000)),
    slotBusy: build.server.slotBusyMs / (slots * build.wallMs),
    peakInFlight: build.server.peakInFlight,
    overhead: build.wallMs / (build.server.slotBusyMs / slots),
    startSeconds: build.firstRequestMs / 1000,
    endSeconds: (build.wallMs - build.lastAnswerMs) / 1000,
    historyEventsPerRun: build.runs.map((r) => r.events),
    activities,
    llmCallsPerBatchActivity: answered / Math.max(1, activities.processBatch ?? 0),
    surplusShare: p.surplus / Math.max(1, p.generated),
    workerCpuShare: build.workerCpuShare,
  };
}

function printSaturation(build: MeasuredBuild, b: BuildFigures, slots: number, log: Log): void {
  log(`  saturation over the whole build (${b.requests} requests in ${b.wallSeconds.toFixed(1)} s):`);
  log(figure('requests/s ÷ C/L while generating', b.generationRatio, '', { atLeast: 0.9 }));
  log(figure('slot-busy over the whole build', b.slotBusy, '', { atLeast: 0.85 }));
  log(figure('peak in-flight', b.peakInFlight, `of ${slots}`));
  log(`  slots busy per second (tenths of C): ${occupancyStrip(build.samples, slots)}`);
  log(figure('worker CPU (cores busy)', b.workerCpuShare, `event-loop p99 ${build.eventLoopP99Ms.toFixed(0)} ms`));
}

function printOverhead(b: BuildFigures, log: Log): void {
  log(`  orchestration overhead:`);
  log(figure('wall ÷ (LLM slot time ÷ C)', b.overhead, '', { atMost: 1.05 }));
  log(figure('  start → first LLM request', b.startSeconds, 's'));
  log(figure('  last answer → build result', b.endSeconds, 's'));
  log(figure('history events per run (max)', Math.max(...b.historyEventsPerRun), `over ${b.historyEventsPerRun.length} run(s)`));
  log(
    figure(
      'activities',
      Object.values(b.activities).reduce((x, y) => x + y, 0),
      JSON.stringify(b.activities),
    ),
  );
  log(figure('LLM calls per processBatch', b.llmCallsPerBatchActivity, ''));
  log(figure('surplus (generated, not needed)', b.surplusShare, 'of generated'));
}
