// API keys: `dck_` + 32 random bytes (base64url). Only a SHA-256 hash is stored; the key is shown once, when it
// is made. A short prefix is kept in clear so a person can tell their keys apart without the secret.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db';
import { apiKeys, users } from '../db';

export const API_KEY_PREFIX = 'dck_';
/** `dck_` plus 8 characters of the secret: enough to recognise a key, far too little to guess it. */
const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

export interface NewApiKey {
  id: string;
  /** The secret itself; never stored, shown to the person once. */
  key: string;
  prefix: string;
  createdAt: Date;
}

export interface ApiKeyInfo {
  id: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface AuthenticatedUser {
  id: string;
  name: string;
  isAdmin: boolean;
  keyId: string;
}

export function generateApiKey(): { key: string; hash: string; prefix: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, hash: hashApiKey(key), prefix: key.slice(0, VISIBLE_PREFIX_LENGTH) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Anything that can insert: the database itself or a transaction (a new user and its first key commit together). */
export type KeyWriter = Pick<Database['db'], 'insert'>;

export async function createApiKey(database: Database, userId: string): Promise<NewApiKey> {
  return insertApiKey(database.db, userId);
}

export async function insertApiKey(db: KeyWriter, userId: string): Promise<NewApiKey> {
  const { key, hash, prefix } = generateApiKey();
  const id = `key_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const [row] = await db.insert(apiKeys).values({ id, userId, keyHash: hash, prefix }).returning({ createdAt: apiKeys.createdAt });
  return { id, key, prefix, createdAt: row.createdAt };
}

export async function listApiKeys(database: Database, userId: string): Promise<ApiKeyInfo[]> {
  return database.db
    .select({ id: apiKeys.id, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(eq(apiKeys.userId, userId))
    .orderBy(desc(apiKeys.createdAt));
}

/** Revokes one of the user's own keys. False when the key is not theirs, unknown, or already revoked. */
export async function revokeApiKey(database: Database, userId: string, keyId: string): Promise<boolean> {
  const revoked = await database.db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return revoked.length > 0;
}

/** The user a presented key belongs to, or null for an unknown or revoked key. */
export async function findUserByApiKey(database: Database, key: string): Promise<AuthenticatedUser | null> {
  if (!key.startsWith(API_KEY_PREFIX)) return null;
  const [row] = await database.db
    .select({ id: users.id, name: users.name, isAdmin: users.isAdmin, keyId: apiKeys.id })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(eq(apiKeys.keyHash, hashApiKey(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  return row ?? null;
}
