// Users own everything (datasets, sources, tasks, exports). Creating one always makes its first API key, so the
// person can call the API at once; the HTTP route and `datacreek users create` share this function.
import { randomUUID } from 'node:crypto';
import type { Database } from '../db';
import { users } from '../db';
import { insertApiKey, type NewApiKey } from './api-keys';

export interface CreatedUser {
  user: { id: string; name: string; isAdmin: boolean; createdAt: Date };
  /** The first key, with its secret: show it once, it cannot be recovered. */
  apiKey: NewApiKey;
}

export async function createUserWithKey(database: Database, name: string, opts: { isAdmin?: boolean } = {}): Promise<CreatedUser> {
  const trimmed = name.trim();
  if (!trimmed) throw new Error('A user needs a name: give a non-empty name (e.g. "alice").');
  const id = `usr_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  return database.db.transaction(async (tx) => {
    const [user] = await tx
      .insert(users)
      .values({ id, name: trimmed, isAdmin: opts.isAdmin ?? false })
      .returning({ id: users.id, name: users.name, isAdmin: users.isAdmin, createdAt: users.createdAt });
    // The key is made inside the transaction: a user without a usable key is never left behind.
    const apiKey = await insertApiKey(tx, user.id);
    return { user, apiKey };
  });
}
