// The default embedder on the real model: all-MiniLM-L6-v2 (scripts/fetch-local-embedding-model.sh) catches
// paraphrased QA records that the lexical fallback misses, at the configured semantic dedup threshold, and
// keeps questions about different facts of the same subject apart. Also prints the embedding speed.
import { describe, expect, it } from 'vitest';
import { createEmbedder } from '../../../src/activities/deps';
import { loadConfig } from '../../../src/infra/config/load';
import { dedupeRecords } from '../../../src/domain/dedup/dedupe-records';
import type { DatasetRecord } from '../../../src/domain/records/types';
import { createLexicalEmbedder } from '../../../src/infra/vectors/lexical-embedder';
import { defaultSemanticThreshold } from '../../../src/infra/vectors';

const config = loadConfig({ env: {} });
const noLlm = () => {
  throw new Error('the local embedder must not call an LLM endpoint');
};
const qa = (id: string, question: string, answer: string): DatasetRecord => ({ id, content: { type: 'qa', question, answer } });
const dedupSettings = {
  exact: config.dedup.exact,
  minhash: { enabled: config.dedup.minhash.enabled, threshold: config.dedup.minhash.threshold },
  semantic: { enabled: config.dedup.semantic.enabled, threshold: config.dedup.semantic.threshold ?? defaultSemanticThreshold('local') },
};

const paraphrases: Array<[DatasetRecord, DatasetRecord]> = [
  [
    qa('a1', 'What year was the tower finished?', 'The tower was finished in 1889.'),
    qa('b1', 'When was construction of the tower completed?', 'Construction of the tower was completed in 1889.'),
  ],
  [
    qa('a2', 'How tall is the Eiffel Tower?', 'It is 330 metres tall.'),
    qa('b2', 'What is the height of the Eiffel Tower?', 'The Eiffel Tower is 330 metres high.'),
  ],
  [
    qa('a3', 'Who designed the bridge?', 'Joseph Strauss designed the bridge.'),
    qa('b3', "Which engineer was responsible for the bridge's design?", 'The bridge was designed by Joseph Strauss.'),
  ],
  [
    qa('a4', 'What do giant pandas mostly eat?', 'Giant pandas eat mostly bamboo.'),
    qa('b4', 'What is the main food of a giant panda?', "Bamboo makes up most of a giant panda's diet."),
  ],
  [
    qa('a5', 'Where was Moo Deng born?', 'Moo Deng was born at Khao Kheow Open Zoo.'),
    qa('b5', 'In which zoo was Moo Deng born?', 'She was born at the Khao Kheow Open Zoo.'),
  ],
];
// Same subject, different fact: these must both stay.
const distinct: Array<[DatasetRecord, DatasetRecord]> = [
  [qa('c1', 'What year was the tower finished?', 'The tower was finished in 1889.'), qa('d1', 'How tall is the tower?', 'The tower is 330 metres tall.')],
  [
    qa('c2', 'What do giant pandas mostly eat?', 'Giant pandas eat mostly bamboo.'),
    qa('d2', 'Where do giant pandas live?', 'They live in the mountains of central China.'),
  ],
  [
    qa('c3', 'Where was Moo Deng born?', 'Moo Deng was born at Khao Kheow Open Zoo.'),
    qa('d3', 'What kind of animal is Moo Deng?', 'Moo Deng is a pygmy hippopotamus.'),
  ],
  [
    qa('c4', 'What is the capital of France?', 'Paris is the capital of France.'),
    qa('d4', 'What is the capital of Germany?', 'Berlin is the capital of Germany.'),
  ],
  [
    qa('c5', 'What year was the tower finished?', 'The tower was finished in 1889.'),
    qa('d5', 'What do giant pandas mostly eat?', 'Giant pandas eat mostly bamboo.'),
  ],
];

describe('the default local embedding model', () => {
  const embedder = createEmbedder(config, noLlm);

  it('is the default when no embeddings endpoint is configured', () => {
    expect(config.embedding.provider).toBe('local');
    expect(embedder.kind).toBe('local');
  });

  it.each(paraphrases.map((pair, i) => [i, pair] as const))(
    'catches paraphrase pair %i, which the lexical embedder misses',
    async (_, [first, second]) => {
      const semantic = await dedupeRecords([first, second], dedupSettings, (texts) => embedder.embed(texts));
      expect(semantic.duplicates).toEqual([expect.objectContaining({ id: second.id, duplicateOf: first.id, reason: 'semantic_duplicate' })]);
      expect(semantic.duplicates[0].similarity).toBeGreaterThanOrEqual(defaultSemanticThreshold('local'));

      const lexical = await dedupeRecords([first, second], dedupSettings, createLexicalEmbedder(config.embedding.dimensions));
      expect(lexical.duplicates).toEqual([]);
    },
    60_000,
  );

  it('keeps records about different facts apart at the same threshold', async () => {
    for (const [first, second] of distinct) {
      const result = await dedupeRecords([first, second], dedupSettings, (texts) => embedder.embed(texts));
      expect(
        result.duplicates,
        `${first.content.type === 'qa' && first.content.question} | ${second.content.type === 'qa' && second.content.question}`,
      ).toEqual([]);
    }
  }, 60_000);

  it('embeds a long chunk from its opening instead of refusing it, and reports its speed', async () => {
    const long = 'The tower was built for the 1889 World Fair. '.repeat(200);
    const [vector] = await embedder.embed([long]);
    expect(vector).toHaveLength(384);

    const texts = Array.from({ length: 64 }, (_, i) => `Question ${i}: when was part ${i} of the tower finished, and by whom?`);
    const started = performance.now();
    const vectors = await embedder.embed(texts);
    const perSecond = texts.length / ((performance.now() - started) / 1000);
    console.log(`local embeddings: ${perSecond.toFixed(1)} texts/s (${texts.length} short texts, 1 thread)`);
    expect(vectors).toHaveLength(texts.length);
    expect(perSecond).toBeGreaterThan(2);
  }, 120_000);
});
