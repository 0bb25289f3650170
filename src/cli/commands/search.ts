// `datacreek search`: the chunks of a dataset nearest to a query. The query is embedded with the configured
// embedder (the same one ingest used) and searched in the dataset's LanceDB chunk table, `chunks__<id>`.
import type { Command } from 'commander';
import type { VectorSearchResult } from '../../infra/vectors';
import { requireDataset, withDatabase } from '../connect';
import { datasetId, positiveInt } from '../options';
import { CliError, configFor, EXIT, print, table } from '../output';

const PREVIEW_CHARS = 100;

export function registerSearchCommand(program: Command): void {
  program
    .command('search')
    .description("find a dataset's chunks nearest to a query (vector search over what was ingested)")
    .requiredOption('-d, --dataset <id>', 'the dataset to search', datasetId)
    .argument('<query...>', 'what to look for (several words are one query)')
    .option('-k <n>', 'how many chunks to show', positiveInt, 5)
    .action(async (words: string[], opts: { dataset: string; k: number }, cmd: Command) => {
      const config = configFor(cmd);
      const query = words.join(' ').trim();
      if (!query) throw new CliError('the query is empty', EXIT.usage, 'Give the words to look for, e.g. datacreek search -d mydocs "glacier melt"');
      await withDatabase(config, (database) => requireDataset(database, opts.dataset));

      const { createEmbedder, llmEndpointConfig } = await import('../../activities');
      const { chunkTableName } = await import('../../infra/vectors');
      const { LlmClient } = await import('../../infra/llm');
      const { openConfiguredVectorStore } = await import('../../infra/vectors');
      let llm: InstanceType<typeof LlmClient> | undefined;
      const embedder = createEmbedder(config, () => (llm ??= new LlmClient(llmEndpointConfig(config))));
      let vector: number[];
      try {
        [vector] = await embedder.embed([query]);
      } catch (err) {
        throw new CliError(
          `could not embed the query with ${config.embedding.provider} embeddings (${config.embedding.model}): ${(err as Error).message}`,
          EXIT.failure,
          'Check embedding.base_url / embedding.model (or llm.base_url when embedding.base_url is empty); `datacreek system-check` tests the endpoint.',
        );
      }

      const store = await openConfiguredVectorStore(config);
      try {
        const chunkTable = chunkTableName(opts.dataset);
        if ((await store.count(chunkTable)) === 0) {
          throw new CliError(
            `dataset "${opts.dataset}" has no indexed chunks in ${store.dir}`,
            EXIT.notFound,
            `Ingest documents first (datacreek ingest <path> --dataset ${opts.dataset}), and search with the same storage.url and paths.data_dir the worker uses.`,
          );
        }
        let hits: VectorSearchResult[];
        try {
          hits = await store.search(chunkTable, vector, opts.k);
        } catch (err) {
          throw new CliError(
            `searching ${chunkTable} failed: ${(err as Error).message}`,
            EXIT.failure,
            `The query vector has ${vector.length} dimensions; search with the embedding settings the dataset was ingested with.`,
          );
        }
        const results = hits.map((h, i) => ({
          rank: i + 1,
          score: Number(h.score.toFixed(4)),
          id: h.id,
          file: String(h.file_name ?? ''),
          text: h.text,
        }));
        const rows = results.map((r) => ({ ...r, text: preview(r.text) }));
        const note = embedder.kind === 'lexical' ? '\n(lexical embeddings match shared words and spellings, not meaning)' : '';
        print(cmd, `${table(rows, ['rank', 'score', 'file', 'id', 'text'])}${note}`, {
          datasetId: opts.dataset,
          query,
          embedding: embedder.kind,
          results,
        });
      } finally {
        await store.close().catch(() => {});
      }
    });
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_CHARS ? `${flat.slice(0, PREVIEW_CHARS - 1)}…` : flat;
}
