// The demo job `npm start` runs on the bundled sample: ingest it, build a small dataset through the real
// build workflow, export it, and say where everything is. Kept apart from `dev` so the stack command stays a
// plain stack command.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  buildWorkflowId,
  connectTemporalClient,
  exportWorkflowId,
  ingestWorkflowId,
  startWorkflow,
  TASK_WORKFLOW_TYPES,
  uniqueSuffix,
  workflowUiUrl,
} from '../../client';
import { PROJECT_ROOT } from '../../infra/config';
import type { DatacreekConfig } from '../../infra/config';
import type { BuildProgress } from '../../workflows/build-input';
import { buildSummary } from '../build-progress';
import { displayFor, followBuild } from '../follow-build';

export const DEMO_DATASET = 'demo';

/**
 * What the demo asks for. The bundled local model (SmolLM2-135M, a 2k-token context, a few dozen tokens/s on
 * two cores) gets small chunks, two pairs per chunk, grounded generation (the config resolution turns it on
 * for the local model) and no LLM judge — its ratings are close to random — so the demo finishes in minutes; a
 * real endpoint gets the full pipeline.
 */
export function demoPlan(config: DatacreekConfig) {
  const local = config.llm.model.startsWith('SmolLM2');
  return local
    ? {
        target: 10,
        chunking: { chunk_size: 1200, overlap: 100, whole_document_below: 1200 },
        // One batch in flight: a round covers every chunk, and later rounds only start when the first fell short
        // (the model serves two requests at a time; more batches would only queue behind each other).
        build: { itemsPerChunk: 2, concurrency: 1, scoring: { mode: 'none' as const }, generation: { maxTokens: 400 } },
      }
    : { target: 20, chunking: undefined, build: {} };
}

/** Whether the configured LLM endpoint answers (GET /models), so the demo can build rather than stop at ingest. */
export async function llmEndpointAnswers(config: DatacreekConfig): Promise<boolean> {
  try {
    const res = await fetch(`${config.llm.base_url.replace(/\/$/, '')}/models`, {
      headers: config.llm.api_key ? { authorization: `Bearer ${config.llm.api_key}` } : {},
      signal: AbortSignal.timeout(3000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

export async function runDemo(config: DatacreekConfig, log: (m: string) => void): Promise<void> {
  const client = await connectTemporalClient(config);
  try {
    const samples = path.join(PROJECT_ROOT, 'samples');
    const plan = demoPlan(config);
    const ingestId = ingestWorkflowId(DEMO_DATASET, uniqueSuffix());
    log(`demo: ingesting ${samples} into dataset "${DEMO_DATASET}" (workflow ${ingestId})`);
    const ingest = await startWorkflow(client, config, TASK_WORKFLOW_TYPES.ingest, ingestId, {
      datasetId: DEMO_DATASET,
      items: [{ path: samples }],
      exclude: ['**/SOURCES.md'],
      chunking: plan.chunking,
    });
    const ingested = await ingest.result();
    for (const f of ingested.files) {
      log(`demo:   ${f.item}: ${f.status}${f.chunks !== undefined ? `, ${f.chunks} chunks` : ''}${f.error ? ` (${f.error.message})` : ''}`);
    }

    if (!(await llmEndpointAnswers(config))) {
      log(`demo: no LLM answers at ${config.llm.base_url}; set OPENAI_BASE_URL / OPENAI_API_KEY / DATACREEK_LLM_MODEL`);
      log('demo: (or llm.provider: local for the bundled small model) and run `npm start` again to build a dataset.');
      return;
    }
    const buildId = buildWorkflowId(DEMO_DATASET);
    log(`demo: building ${plan.target} QA pairs with ${config.llm.model} (workflow ${buildId}) …`);
    const startedAt = Date.now();
    await startWorkflow(
      client,
      config,
      TASK_WORKFLOW_TYPES.build,
      buildId,
      { datasetId: DEMO_DATASET, target: plan.target, type: 'qa', ...plan.build },
      { conflict: 'USE_EXISTING' },
    );
    // The same progress display as `datacreek build`: accepted/target, rates, ETA and the model.
    const outcome = await followBuild(client, buildId, { display: displayFor(false), taskQueue: config.temporal.task_queue, model: config.llm.model });
    if (outcome.kind !== 'completed') {
      const why = outcome.kind === 'failed' ? `failed: ${outcome.failure.message}` : outcome.kind;
      log(`demo: the build ${why}; its history: ${workflowUiUrl(config, buildId)}`);
      return;
    }
    const progress: BuildProgress = outcome.progress;
    for (const line of buildSummary(progress, (Date.now() - startedAt) / 1000).split('\n')) log(`demo: ${line}`);
    if (progress.accepted === 0) return;
    const exporting = await startWorkflow(client, config, TASK_WORKFLOW_TYPES.save, exportWorkflowId(DEMO_DATASET, uniqueSuffix()), {
      datasetId: DEMO_DATASET,
      format: 'openai-chat',
    });
    const exported = await exporting.result();
    for (const f of exported.files) log(`demo: export ${f.split}: ${f.path} (${f.records} records)`);
    const examples = await sampleRecords(
      exported.files.map((f) => f.path),
      3,
    );
    log(`demo: ${examples.length} of the records:`);
    for (const sample of examples) {
      log(`demo:   Q: ${sample.question}`);
      log(`demo:   A: ${sample.answer}`);
    }
    log(`demo: the build's history: ${workflowUiUrl(config, buildId)}`);
  } finally {
    await client.connection.close();
  }
}

/** The first `count` records of the exported files (OpenAI chat JSONL), as question and answer. */
export async function sampleRecords(files: string[], count: number): Promise<{ question: string; answer: string }[]> {
  const samples: { question: string; answer: string }[] = [];
  for (const file of files) {
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      if (samples.length === count) return samples;
      if (!line.trim()) continue;
      const { messages } = JSON.parse(line) as { messages: { role: string; content: string }[] };
      const question = messages.find((m) => m.role === 'user')?.content ?? '';
      const answer = messages.find((m) => m.role === 'assistant')?.content ?? '';
      samples.push({ question, answer });
    }
  }
  return samples;
}
