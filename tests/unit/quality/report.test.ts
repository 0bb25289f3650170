import { describe, expect, it } from 'vitest';
import { buildQualityReport, distribution, renderQualityReportHtml } from '../../../src/domain/quality';
import type { DatasetRecord } from '../../../src/domain/records/types';

const qa = (id: string, question: string, answer: string, score?: number): DatasetRecord => ({
  id,
  content: { type: 'qa', question, answer },
  ...(score !== undefined ? { score } : {}),
});

const records: DatasetRecord[] = [
  qa('1', 'What is the capital of France?', 'The capital of France is Paris, on the Seine river.', 8),
  qa('2', 'what is the capital of france', 'the capital of france is paris on the seine river', 9),
  qa('3', 'How do plants make their food?', 'Plants make food by photosynthesis, using sunlight and water.', 6.6),
  qa('4', 'Who can I email about this?', 'Write to help@example.com and stop being an idiot, you idiot.'),
  {
    id: '5',
    content: {
      type: 'conversation',
      messages: [
        { role: 'user', content: 'Bonjour, comment allez-vous aujourd’hui ?' },
        { role: 'assistant', content: 'Très bien, merci beaucoup de demander.' },
      ],
    },
    score: 10,
  },
];
const report = buildQualityReport(records, {
  statusOf: (r) => (r.id === '2' ? 'rejected' : 'accepted'),
  generatedAt: new Date('2025-01-02T03:04:05Z'),
});

describe('buildQualityReport', () => {
  it('counts records by type and status', () => {
    expect(report.counts).toEqual({ total: 5, byType: { qa: 4, conversation: 1 }, byStatus: { accepted: 4, rejected: 1 } });
    expect(report.generatedAt).toBe('2025-01-02T03:04:05.000Z');
  });

  it('measures prompt and response lengths', () => {
    expect(report.lengths.prompt.chars).toMatchObject({ min: 27, max: 41, p50: 30, p90: 41 });
    expect(report.lengths.response.chars.max).toBe(61);
    expect(report.lengths.prompt.tokens.min).toBeGreaterThan(0);
    expect(report.lengths.prompt.chars.histogram.reduce((sum, b) => sum + b.count, 0)).toBe(5);
  });

  it('finds duplicates, diversity, languages, PII, toxicity and scores', () => {
    expect(report.duplicates).toMatchObject({ exact: 1, exactRatio: 0.2, near: 0 });
    // Prompts 1 and 2 normalize to the same instruction.
    expect(report.diversity.uniqueInstructionRatio).toBe(0.8);
    expect(report.diversity.vocabularySize).toBeGreaterThan(30);
    expect(report.languages).toEqual({ en: 4, fr: 1 });
    expect(report.languageSample).toEqual({ detected: 5, of: 5 });
    expect(buildQualityReport(records, { languageSampleSize: 2 }).languageSample).toEqual({ detected: 2, of: 5 });
    expect(report.pii.recordsWithPii).toBe(1);
    expect(report.pii.findingsByKind.email).toBe(1);
    expect(report.toxicity.flaggedRecords).toBe(1);
    expect(report.toxicity.topTerms).toContainEqual({ term: 'you … idiot', count: 1 });
    expect(report.scores).toMatchObject({ scored: 4, unscored: 1, mean: 8.4, outOfRange: 0 });
    expect(report.scores.histogram.filter((b) => b.count > 0)).toEqual([
      { score: 7, count: 1 },
      { score: 8, count: 1 },
      { score: 9, count: 1 },
      { score: 10, count: 1 },
    ]);
  });

  it('counts a light edit as a near duplicate', () => {
    const base = 'Paris is the capital of France, its largest city, and sits on the Seine river in the north.';
    const near = buildQualityReport([qa('a', 'Capital?', base), qa('b', 'Capital?', base.replace('largest', 'biggest'))]);
    expect(near.duplicates).toMatchObject({ exact: 0, near: 1, nearRatio: 0.5 });
  });
});

describe('distribution', () => {
  it('computes nearest-rank percentiles and an equal-width histogram', () => {
    const d = distribution([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5);
    expect(d).toMatchObject({ min: 1, max: 10, mean: 5.5, p50: 5, p90: 9 });
    expect(d.histogram).toEqual([
      { from: 1, to: 2, count: 2 },
      { from: 3, to: 4, count: 2 },
      { from: 5, to: 6, count: 2 },
      { from: 7, to: 8, count: 2 },
      { from: 9, to: 10, count: 2 },
    ]);
    expect(distribution([])).toMatchObject({ min: 0, max: 0, histogram: [] });
  });
});

describe('renderQualityReportHtml', () => {
  const html = renderQualityReportHtml({ ...report, title: 'Report <for> "QA" & co' });

  it('is a complete page with inline SVG charts for each section', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const charts = html.match(/<svg class="chart"[^>]*>/g) ?? [];
    expect(charts.length).toBeGreaterThanOrEqual(9);
    for (const label of [
      'Prompt length (characters)',
      'Response length (tokens)',
      'Records per score (1–10)',
      'Records by detected language',
      'PII findings by kind',
    ]) {
      expect(html).toContain(`aria-label="${label}"`);
    }
    expect(html).toContain('<rect');
  });

  it('loads nothing from outside and escapes text', () => {
    expect(html).not.toMatch(/<script|<link|@import|src=|url\(/i);
    expect(html).not.toMatch(/href="http/);
    expect(html).toContain('Report &lt;for&gt; &quot;QA&quot; &amp; co');
  });
});
