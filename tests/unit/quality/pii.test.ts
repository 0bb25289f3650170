import { describe, expect, it } from 'vitest';
import { detectPii, luhnValid, redactPii } from '../../../src/domain/quality/pii';

describe('PII detection and redaction', () => {
  it('redacts each kind with its placeholder', () => {
    const text =
      'Dr. Jane Smith (jane@example.org, +44 20 7946 0958) paid with 4111 1111 1111 1111; SSN 123-45-6789; ' +
      'server 192.168.1.20 / 2001:db8::1. Hi, my name is Alice Walker.';
    expect(redactPii(text).text).toBe(
      'Dr. [NAME] ([EMAIL], [PHONE]) paid with [CREDIT_CARD]; SSN [SSN]; server [IP_ADDRESS] / [IP_ADDRESS]. Hi, my name is [NAME].',
    );
  });

  it('finds US phone formats', () => {
    const kinds = detectPii('Call (555) 123-4567, 555.987.6543 or 1-800-555-0199.').map((f) => [f.kind, f.text]);
    expect(kinds).toEqual([
      ['phone', '(555) 123-4567'],
      ['phone', '555.987.6543'],
      ['phone', '1-800-555-0199'],
    ]);
  });

  it('validates instead of matching every number: Luhn, SSN rules, IP ranges', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    const harmless =
      'Card 4111 1111 1111 1112 fails Luhn; 000-12-3456 is never issued; 999.1.1.1 is no IP; ' +
      'version 1.2.3, the years 2019-2020, ISBN 978-3-16-148410-0, order 12345678, 12:30:45, std::vector.';
    expect(detectPii(harmless)).toEqual([]);
  });

  it('only reports the kinds asked for', () => {
    const text = 'jane@example.org, 555-123-4567';
    expect(redactPii(text, ['email']).text).toBe('[EMAIL], 555-123-4567');
  });
});
