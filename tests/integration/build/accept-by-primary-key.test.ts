// Acceptance marks the ids it is given and must cost in proportion to them, not to the candidates pending in the
// dataset. With many candidates just written (statistics lag behind such a burst), PostgreSQL once chose to read
// every pending candidate through the (dataset_id, status) index and hash-join them with the ids: O(pending) per
// acceptance. These tests read the plan PostgreSQL picks for acceptance's UPDATE in that state (on a large table it
// looks the ids up by primary key; on one it believes small it may read the table once), and check that the
// statement still refuses ids that are no longer candidates.
import type { TransactionSql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptCandidatesInOrder } from '../../../src/activities/accepted-set';
import type { Database } from '../../../src/infra/db/client';
import { testConfig, testDatabase, uniqueId } from '../../support/env';

const PENDING = 20_000;
let database: Database;
const datasetId = uniqueId('accept-pk');
const ids = Array.from({ length: PENDING }, (_, i) => `${datasetId}/r1/b${Math.floor(i / 1000)}/${i}`);

beforeAll(async () => {
  database = testDatabase(testConfig());
  const { sql } = database;
  await sql`insert into users (id, name) values ('local', 'Local user') on conflict (id) do nothing`;
  await sql`insert into datasets (id, owner_id, name, type) values (${datasetId}, 'local', ${datasetId}, 'qa')`;
  for (let from = 0; from < PENDING; from += 2000) {
    const rows = ids.slice(from, from + 2000).map((id, k) => ({
      id,
      dataset_id: datasetId,
      batch_id: `${datasetId}/r1/b${Math.floor((from + k) / 1000)}`,
      round: 1,
      position: from + k,
      status: 'candidate',
      type: 'qa',
      content_hash: `${datasetId}-${from + k}`,
    }));
    await sql`insert into records ${sql(rows)}`;
  }
}, 120_000);

afterAll(async () => {
  await database.sql`delete from datasets where id = ${datasetId}`;
  await database.close();
});

/**
 * A transaction whose statements are explained instead of run: the UPDATE acceptance sends is captured with the
 * plan PostgreSQL chose for it, and reported as having matched every id.
 */
function explainingTransaction(tx: TransactionSql, matched: number, plans: string[]): TransactionSql {
  const explain = (strings: TemplateStringsArray, ...values: unknown[]) => {
    const prefixed = [`explain ${strings[0]}`, ...strings.slice(1)];
    const template = Object.assign(prefixed, { raw: [`explain ${strings.raw[0]}`, ...strings.raw.slice(1)] });
    return tx(template as unknown as TemplateStringsArray, ...(values as never[])).then((rows) => {
      plans.push(rows.map((row) => String(row['QUERY PLAN'])).join('\n'));
      return Object.assign([], { count: matched });
    });
  };
  return explain as unknown as TransactionSql;
}

describe('acceptance with many candidates pending', () => {
  it('does not read the pending candidates of the dataset to find the ids to accept', async () => {
    const batch = ids.slice(5000, 6000);
    const plans: string[] = [];
    await database.sql.begin((tx) => acceptCandidatesInOrder(explainingTransaction(tx, batch.length, plans), datasetId, batch, 1));
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatch(/^Update on records/);
    expect(plans[0]).not.toContain('records_dataset_status_idx');
  });

  it('accepts exactly the ids given, in order, and refuses one that is no longer a candidate', async () => {
    const { sql } = database;
    const batch = ids.slice(0, 1000);
    await sql.begin((tx) => acceptCandidatesInOrder(tx, datasetId, batch, 1));
    const accepted = await sql<{ id: string; accept_seq: number }[]>`
      select id, accept_seq from records where dataset_id = ${datasetId} and status = 'accepted' order by accept_seq`;
    expect(accepted.map((r) => r.id)).toEqual(batch);
    expect(accepted.map((r) => r.accept_seq)).toEqual(batch.map((_, i) => i + 1));

    await sql`update records set status = 'rejected', reject_reason = 'low_score' where id = ${ids[1500]}`;
    await expect(sql.begin((tx) => acceptCandidatesInOrder(tx, datasetId, ids.slice(1000, 2000), 1001))).rejects.toThrow(
      /1 of 1000 records to accept were no longer candidates/,
    );
    const [{ accepted: after }] = await sql<{ accepted: number }[]>`
      select count(*)::int as accepted from records where dataset_id = ${datasetId} and status = 'accepted'`;
    expect(after).toBe(1000);
  });

  it('refuses ids of another dataset', async () => {
    const { sql } = database;
    const otherId = uniqueId('accept-pk-other');
    await sql`insert into datasets (id, owner_id, name, type) values (${otherId}, 'local', ${otherId}, 'qa')`;
    try {
      await expect(sql.begin((tx) => acceptCandidatesInOrder(tx, otherId, ids.slice(3000, 3010), 1))).rejects.toThrow(
        /10 of 10 records to accept were no longer candidates/,
      );
    } finally {
      await sql`delete from datasets where id = ${otherId}`;
    }
  });
});
