import { describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../../../src/infra/auth/api-keys';

describe('API keys', () => {
  it('are dck_ plus 32 random bytes, stored as a SHA-256 hash with a short visible prefix', () => {
    const { key, hash, prefix } = generateApiKey();
    expect(key).toMatch(/^dck_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(4), 'base64url')).toHaveLength(32);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(hashApiKey(key));
    expect(hash).not.toContain(key.slice(4, 20));
    expect(prefix).toBe(key.slice(0, 12));
  });

  it('never repeat', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().key));
    expect(keys.size).toBe(200);
  });
});
