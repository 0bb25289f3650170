// A synthetic corpus written straight into PostgreSQL, as ingestion would leave it: one dataset, one source and
// `chunks` chunks of distinct sentences (so generated records are distinct unless the test server plants
// duplicates). Skipping the ingest workflow keeps a build benchmark about the build.
import type { Sql } from '../../src/infra/db/client';
import { seededRandom } from '../../src/infra/common/seeded-random';

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'shi', 'po', 'ven', 'dar', 'el', 'qui', 'sa', 'tor', 'bel', 'an', 'ix', 'um', 'gro', 'fe'];
const SENTENCES_PER_CHUNK = 8;

export async function seedSyntheticDataset(sql: Sql, datasetId: string, chunks: number, seed = 11): Promise<void> {
  const random = seededRandom(seed);
  const word = () => {
    let w = '';
    const n = 2 + Math.floor(random() * 3);
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    return w;
  };
  const vocabulary = Array.from({ length: 6000 }, word);
  const pick = () => vocabulary[Math.floor(random() * vocabulary.length)];
  const sentence = (c: number, s: number) =>
    `The ${pick()} ${pick()} of site ${c}-${s} ${pick()}s the ${pick()} ${pick()} near ${pick()} ${pick()}, measured at ${Math.floor(random() * 1000)} units by the ${pick()} team.`;

  const sourceId = `${datasetId}:synthetic`;
  await sql`insert into users (id, name) values ('local', 'Local user') on conflict (id) do nothing`;
  await sql`insert into datasets (id, owner_id, name, type) values (${datasetId}, 'local', ${datasetId}, 'qa') on conflict (id) do nothing`;
  await sql`insert into sources (id, dataset_id, kind, uri, file_name, format, content_hash, chunk_count)
    values (${sourceId}, ${datasetId}, 'file', 'bench://synthetic', 'synthetic.md', 'markdown', 'synthetic', ${chunks})
    on conflict (id) do nothing`;
  const rows = [];
  for (let c = 0; c < chunks; c++) {
    const text = Array.from({ length: SENTENCES_PER_CHUNK }, (_, s) => sentence(c, s)).join(' ');
    rows.push({
      id: `${sourceId}#${String(c).padStart(7, '0')}`,
      source_id: sourceId,
      dataset_id: datasetId,
      index: c,
      text,
      start_offset: 0,
      end_offset: text.length,
      content_hash: `synthetic-${c}`,
    });
  }
  for (let i = 0; i < rows.length; i += 5000) await sql`insert into chunks ${sql(rows.slice(i, i + 5000))} on conflict (id) do nothing`;
}
