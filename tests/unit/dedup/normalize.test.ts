import { describe, expect, it } from 'vitest';
import { contentHash, normalizeForHash, textHash } from '../../../src/domain/dedup/normalize';

describe('normalizeForHash', () => {
  it('ignores case, punctuation and runs of whitespace', () => {
    expect(normalizeForHash('  What IS   the capital,\n of France?! ')).toBe('what is the capital of france');
  });

  it('applies Unicode NFKC so compatibility forms hash alike', () => {
    // Full-width letters and the "ﬁ" ligature are compatibility forms of plain ASCII.
    expect(normalizeForHash('ＡＢＣ ﬁle')).toBe('abc file');
  });

  it('joins words split by an apostrophe or hyphen, and separates words split by other punctuation', () => {
    expect(normalizeForHash("Don't use e-mail")).toBe(normalizeForHash('dont use email'));
    expect(normalizeForHash('end.Start')).toBe('end start');
  });
});

describe('contentHash', () => {
  it('is the same sha256 for records that differ only in case and whitespace', () => {
    const a = contentHash({ type: 'qa', question: 'What is 2+2?', answer: 'Four.' });
    const b = contentHash({ type: 'qa', question: 'what   is 2+2 ??', answer: '  FOUR ' });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).toBe(b);
  });

  it('differs when the words differ', () => {
    const a = contentHash({ type: 'qa', question: 'What is 2+2?', answer: 'Four.' });
    const b = contentHash({ type: 'qa', question: 'What is 2+2?', answer: 'Five.' });
    expect(a).not.toBe(b);
  });

  it('equals textHash of the record text, so callers holding only text agree', () => {
    expect(contentHash({ type: 'qa', question: 'Q?', answer: 'A.' })).toBe(textHash('Q?\nA.'));
  });
});
