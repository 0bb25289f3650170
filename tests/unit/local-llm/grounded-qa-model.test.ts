// Grounded QA on the real default model (SmolLM2-135M-Instruct): the demo's document, chunked as the demo
// chunks it, and the generator as the build runs it. Whatever the tiny model picks, every answer is a sentence
// of the document, every question ends with "?" and names a term of it, no answer repeats, and the source_match
// step keeps what was made. Three chunks, two items each, to stay small on a shared machine.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llmEndpointConfig } from '../../../src/activities/deps';
import { chunkDocument } from '../../../src/domain/chunking';
import { demoPlan } from '../../../src/cli/commands/demo';
import { loadConfig, PROJECT_ROOT } from '../../../src/infra/config/load';
import { generateFromText } from '../../../src/domain/generation/generate-from-text';
import { loadPromptTemplates } from '../../../src/domain/generation/prompts';
import { appearsVerbatim, sharedTerms } from '../../../src/domain/generation/source-text';
import { LlmClient } from '../../../src/infra/llm/client';
import { clearEndpointLimiters } from '../../../src/infra/llm/endpoint-limiter';
import { DEFAULT_LOCAL_MODEL_FILE } from '../../../src/infra/local-llm/model-file';
import { resolveLocalProvider, type LocalProvider } from '../../../src/infra/local-llm/provider';
import { parseDocument } from '../../../src/domain/parsers';
import { buildFilterPipeline, runFilterPipeline } from '../../../src/domain/quality/pipeline';
import type { DatasetRecord, RecordContent } from '../../../src/domain/records/types';

const MODEL_PATH = path.join(PROJECT_ROOT, 'models', DEFAULT_LOCAL_MODEL_FILE);
const SAMPLE_PATH = path.join(PROJECT_ROOT, 'samples', 'moo_deng_wikipedia.md');

let provider: LocalProvider;
let llm: LlmClient;

describe('grounded QA on the local model', () => {
  beforeAll(async () => {
    if (!existsSync(MODEL_PATH)) throw new Error(`needs the local model at ${MODEL_PATH}: run \`bash scripts/fetch-local-model.sh\``);
    clearEndpointLimiters();
    const config = loadConfig({
      env: {},
      overrides: { llm: { provider: 'local', local_model_path: MODEL_PATH, retries: 0 }, embedding: { provider: 'lexical' } },
    });
    provider = await resolveLocalProvider(config, { gpu: false });
    llm = new LlmClient(llmEndpointConfig(provider.config));
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('turns grounded mode on for the local model', () => {
    expect(provider.config.generation.mode).toBe('grounded');
  });

  it('writes records whose answers are sentences of the document and whose questions ask about it', async () => {
    const document = readFileSync(SAMPLE_PATH, 'utf8');
    const plan = demoPlan(provider.config);
    const parsed = await parseDocument({ fileName: 'moo_deng_wikipedia.md', bytes: new TextEncoder().encode(document) });
    const chunks = await chunkDocument(parsed, {
      strategy: 'sliding',
      chunkSize: plan.chunking!.chunk_size,
      overlap: plan.chunking!.overlap,
      wholeDocumentBelow: plan.chunking!.whole_document_below,
    });
    const prompts = loadPromptTemplates();
    const records: DatasetRecord[] = [];
    const sourceOf = new Map<string, string>();
    let failures = 0;
    for (const chunk of chunks.slice(0, 3)) {
      const result = await generateFromText(llm, {
        type: 'qa',
        text: chunk.text,
        numItems: 2,
        prompts,
        grounded: provider.config.generation.mode === 'grounded',
        temperature: 0.7,
        maxTokens: 400,
      });
      failures += result.failures.length;
      result.items.forEach((content: RecordContent, i) => {
        const id = `c${chunk.index}-${i}`;
        records.push({ id, content });
        sourceOf.set(id, chunk.text);
      });
    }
    for (const record of records) {
      if (record.content.type !== 'qa') throw new Error(`expected a QA record, got ${record.content.type}`);
      console.info(`[grounded] Q: ${record.content.question}\n[grounded] A: ${record.content.answer}`);
    }
    expect(records.length).toBeGreaterThanOrEqual(5);
    expect(failures).toBeLessThanOrEqual(1);
    const answers = records.map((r) => (r.content.type === 'qa' ? r.content.answer : ''));
    const questions = records.map((r) => (r.content.type === 'qa' ? r.content.question : ''));
    for (const answer of answers) expect(appearsVerbatim(answer, document), answer).toBe(true);
    for (const question of questions) {
      expect(question).toMatch(/^[A-Z].{10,}\?$/);
      expect(sharedTerms(question, document), question).not.toEqual([]);
    }
    expect(new Set(answers).size).toBe(answers.length);

    const filtered = await runFilterPipeline(records, buildFilterPipeline([{ step: 'source_match' }], { sourceText: (r) => sourceOf.get(r.id) }));
    expect(filtered.rejected).toEqual([]);
  }, 400_000);
});
