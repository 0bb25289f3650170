// Exact-duplicate identity: two records are "the same" when their text matches after case, Unicode
// compatibility forms, punctuation and whitespace are normalized away.
import { createHash } from 'node:crypto';
import { recordText, type RecordContent } from '../records';

// An apostrophe or hyphen inside a word joins it ("don't" = "dont", "e-mail" = "email"); any other
// punctuation separates words ("end.Start" = "end start").
const INTRA_WORD_JOINERS = /(?<=\p{L})['’‐-](?=\p{L})/gu;
const PUNCTUATION = /\p{P}+/gu;
const WHITESPACE = /\s+/gu;

/** Lowercase, Unicode NFKC, punctuation removed, whitespace collapsed to single spaces, trimmed. */
export function normalizeForHash(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(INTRA_WORD_JOINERS, '').replace(PUNCTUATION, ' ').replace(WHITESPACE, ' ').trim();
}

/** sha256 hex of the normalized text. */
export function textHash(text: string): string {
  return createHash('sha256').update(normalizeForHash(text), 'utf8').digest('hex');
}

/** sha256 hex of a record's normalized full text (prompt and response, see `recordText`). */
export function contentHash(content: RecordContent): string {
  return textHash(recordText(content));
}
