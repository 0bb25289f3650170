import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfter } from '../../../src/infra/llm/retry';

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0); // a date in the past means now
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('')).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('backoffDelayMs', () => {
  it('doubles per attempt between half and all of the step, and stops at the cap', () => {
    expect(backoffDelayMs(0, { random: () => 0 })).toBe(125);
    expect(backoffDelayMs(0, { random: () => 1 })).toBe(250);
    expect(backoffDelayMs(3, { random: () => 1 })).toBe(2000);
    expect(backoffDelayMs(30, { random: () => 1 })).toBe(20_000);
    expect(backoffDelayMs(2, { baseMs: 10, random: () => 0.5 })).toBe(30);
  });
});
