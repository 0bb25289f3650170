// Dataset rows as activities see them: created on first use (so `temporal workflow start` works without a
// prior HTTP call), and owned by exactly one user.
import type { Database } from '../infra/db';
import { badInput } from './errors';

/** The owner of everything started locally (CLI, `temporal` CLI) without an API user. */
export const LOCAL_OWNER = 'local';

export async function ensureDataset(
  database: Database,
  args: { datasetId: string; ownerId: string; type?: string; name?: string },
): Promise<{ ownerId: string; type: string }> {
  const { sql } = database;
  if (args.ownerId === LOCAL_OWNER) {
    await sql`insert into users (id, name) values (${LOCAL_OWNER}, 'Local user') on conflict (id) do nothing`;
  } else {
    const [user] = await sql`select id from users where id = ${args.ownerId}`;
    if (!user) throw badInput('NotFound', `user "${args.ownerId}" does not exist`, 'Create the user first (datacreek users create).');
  }
  await sql`
    insert into datasets (id, owner_id, name, type)
    values (${args.datasetId}, ${args.ownerId}, ${args.name ?? args.datasetId}, ${args.type ?? 'qa'})
    on conflict (id) do nothing`;
  const [row] = await sql<{ owner_id: string; type: string }[]>`select owner_id, type from datasets where id = ${args.datasetId}`;
  if (row.owner_id !== args.ownerId) {
    throw badInput('Forbidden', `dataset "${args.datasetId}" belongs to another user`, 'Choose another dataset id.');
  }
  return { ownerId: row.owner_id, type: row.type };
}
