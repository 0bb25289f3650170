// Personally identifiable information in free text: pattern detectors with validation where a
// checksum or a parser exists (Luhn for card numbers, ipaddr.js for IP addresses, SSA rules for SSNs),
// so that order numbers, versions and dates are not mistaken for PII. Person names are found only in
// unambiguous frames ("Dr. Jane Smith", "my name is Jane"): finding every name needs an NER model.
import ipaddr from 'ipaddr.js';

export const PII_KINDS = ['email', 'phone', 'ssn', 'credit_card', 'ip_address', 'person'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export const PII_PLACEHOLDERS: Record<PiiKind, string> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  ssn: '[SSN]',
  credit_card: '[CREDIT_CARD]',
  ip_address: '[IP_ADDRESS]',
  person: '[NAME]',
};

export interface PiiFinding {
  kind: PiiKind;
  start: number;
  end: number;
  text: string;
}

interface Detector {
  kind: PiiKind;
  pattern: RegExp;
  /** Capture group holding the PII itself (0: the whole match). */
  group?: number;
  accept?: (match: string) => boolean;
}

const NAME = "[A-Z][a-z'’-]+(?:\\s+[A-Z][a-z'’-]+)?";

// Order matters: earlier detectors win overlaps (a card number is not also a phone number).
const DETECTORS: Detector[] = [
  { kind: 'email', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g },
  { kind: 'credit_card', pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g, accept: isPlausibleCardNumber },
  { kind: 'ssn', pattern: /(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])/g, accept: isPlausibleSsn },
  {
    kind: 'ip_address',
    pattern: /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]|\.\d)/g,
    accept: (match) => ipaddr.IPv4.isValidFourPartDecimal(match),
  },
  {
    kind: 'ip_address',
    pattern:
      /(?<![\w:])(?:[A-Fa-f0-9]{1,4}:){2,7}[A-Fa-f0-9]{1,4}(?![\w:])|(?<![\w:])(?:[A-Fa-f0-9]{1,4}:){1,6}:(?:[A-Fa-f0-9]{1,4}:?){0,6}(?<!:)(?![\w:])|(?<![\w:])::(?:[A-Fa-f0-9]{1,4}:){0,5}[A-Fa-f0-9]{1,4}(?![\w:])/g,
    accept: (match) => ipaddr.IPv6.isValid(match) && /[A-Fa-f0-9]{2}/.test(match) && !/^\d{1,2}:\d{2}(:\d{2})?$/.test(match),
  },
  {
    kind: 'phone',
    // International: +CC then 2–5 groups of digits with separators.
    pattern: /(?<![\w+])\+\d{1,3}(?:[\s.-]?(?:\(\d{1,4}\)|\d{1,4})){2,5}(?!\w)/g,
    accept: (match) => digitCount(match) >= 8 && digitCount(match) <= 15,
  },
  {
    kind: 'phone',
    // North American: (555) 123-4567, 555-123-4567, 555.123.4567, 1-800-555-0199.
    pattern: /(?<![\w.-])(?:1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-]|\.\d)/g,
  },
  { kind: 'person', pattern: new RegExp(`\\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame)\\.?\\s+(${NAME})`, 'g'), group: 1 },
  { kind: 'person', pattern: new RegExp(`\\b(?:[Mm]y name is|[Mm]y name's|I am called|I'm called|[Cc]all me)\\s+(${NAME})`, 'g'), group: 1 },
];

/** PII found in `text`, in text order, without overlaps. */
export function detectPii(text: string, kinds: readonly PiiKind[] = PII_KINDS): PiiFinding[] {
  const wanted = new Set(kinds);
  const findings: PiiFinding[] = [];
  for (const detector of DETECTORS) {
    if (!wanted.has(detector.kind)) continue;
    for (const match of text.matchAll(detector.pattern)) {
      const group = detector.group ?? 0;
      const value = match[group];
      if (value === undefined) continue;
      const start = match.index! + (group === 0 ? 0 : match[0].indexOf(value));
      const end = start + value.length;
      if (detector.accept && !detector.accept(value)) continue;
      if (findings.some((f) => start < f.end && end > f.start)) continue;
      findings.push({ kind: detector.kind, start, end, text: value });
    }
  }
  return findings.sort((a, b) => a.start - b.start);
}

/** `text` with each finding replaced by its placeholder ([EMAIL], [PHONE] …). */
export function redactPii(text: string, kinds: readonly PiiKind[] = PII_KINDS): { text: string; findings: PiiFinding[] } {
  const findings = detectPii(text, kinds);
  let redacted = text;
  for (let i = findings.length - 1; i >= 0; i--) {
    const finding = findings[i];
    redacted = redacted.slice(0, finding.start) + PII_PLACEHOLDERS[finding.kind] + redacted.slice(finding.end);
  }
  return { text: redacted, findings };
}

/** `email ×2, phone ×1` */
export function summarizeFindings(findings: PiiFinding[]): string {
  const counts = new Map<PiiKind, number>();
  for (const finding of findings) counts.set(finding.kind, (counts.get(finding.kind) ?? 0) + 1);
  return [...counts].map(([kind, count]) => `${kind} ×${count}`).join(', ');
}

/** Luhn checksum: the check digit of every real payment card number. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

function isPlausibleCardNumber(match: string): boolean {
  const digits = match.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  if (/^(\d)\1+$/.test(digits)) return false;
  // Separators, if any, must be consistent groups (4-4-4-4, 4-6-5 …), not a random sprinkle.
  if (/[ -]/.test(match) && !/^\d{4}([ -])\d{4,6}\1\d{4,5}(\1\d{1,4})?$/.test(match)) return false;
  return luhnValid(digits);
}

/** Area 000, 666 and 900–999, group 00 and serial 0000 are never issued. */
function isPlausibleSsn(match: string): boolean {
  const [area, group, serial] = match.split('-');
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

function digitCount(text: string): number {
  let count = 0;
  for (const char of text) if (char >= '0' && char <= '9') count++;
  return count;
}
