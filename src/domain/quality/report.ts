// The dataset quality report (a "quality-check"): what is in a dataset and what is wrong with
// it, as JSON a program can check thresholds against, and as a page a person can read (report-html.ts).
import { countTokens } from 'gpt-tokenizer';
import { detect } from 'tinyld';
import { minHasherFor } from '../dedup';
import { MinHashIndex } from '../dedup';
import { contentHash, normalizeForHash } from '../dedup';
import { recordPromptText, recordResponseText, recordText, type DatasetRecord } from '../records';
import { textFields } from './content-text';
import { detectPii, PII_KINDS, type PiiKind } from './pii';
import { scoreToxicity } from './toxicity';

export interface QualityReportOptions {
  title?: string;
  /** A record's status (accepted, rejected …), when the caller has one: adds counts.byStatus. */
  statusOf?: (record: DatasetRecord) => string | null | undefined;
  /** Estimated Jaccard at or above which two records count as near duplicates (default 0.8). */
  nearDuplicateThreshold?: number;
  /** Toxicity score at or above which a record counts as toxic (default 0.5). */
  toxicityThreshold?: number;
  /** Buckets per length histogram (default 10). */
  histogramBuckets?: number;
  /** Records with less text than this are counted as language "und" (default 40 characters). */
  languageMinChars?: number;
  /**
   * Language detection costs ~2 ms per record, so at most this many evenly spaced records are detected
   * (default 5000); `languages` then counts the sample, and `languageSample` says how big it was.
   */
  languageSampleSize?: number;
  /** Timestamp to stamp the report with (default now); fixed in tests. */
  generatedAt?: Date;
}

export interface HistogramBucket {
  /** Inclusive bounds. */
  from: number;
  to: number;
  count: number;
}

export interface Distribution {
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  histogram: HistogramBucket[];
}

export interface SideLengths {
  chars: Distribution;
  tokens: Distribution;
}

export interface QualityReport {
  title: string;
  generatedAt: string;
  counts: { total: number; byType: Record<string, number>; byStatus?: Record<string, number> };
  lengths: { prompt: SideLengths; response: SideLengths };
  diversity: {
    /** Distinct lowercase words over all text. */
    vocabularySize: number;
    /** Distinct prompts (after normalization) / records. */
    uniqueInstructionRatio: number;
  };
  duplicates: {
    /** Records whose normalized text repeats an earlier record's. */
    exact: number;
    exactRatio: number;
    /** Records (not exact duplicates) with an earlier record at Jaccard ≥ threshold. */
    near: number;
    nearRatio: number;
    nearThreshold: number;
  };
  /** ISO 639 code → records; "und" for text too short or unclear to tell. */
  languages: Record<string, number>;
  languageSample: { detected: number; of: number };
  pii: {
    recordsWithPii: number;
    ratio: number;
    /** Findings by kind (a record with two emails counts two). */
    findingsByKind: Record<PiiKind, number>;
    /** Records with at least one finding of the kind. */
    recordsByKind: Record<PiiKind, number>;
  };
  toxicity: {
    threshold: number;
    flaggedRecords: number;
    ratio: number;
    meanScore: number;
    /** The most frequent matched terms, most frequent first (at most 20). */
    topTerms: { term: string; count: number }[];
  };
  scores: {
    scored: number;
    unscored: number;
    mean: number | null;
    /** Records per rounded score 1–10. */
    histogram: { score: number; count: number }[];
    /** Scores that do not round into 1–10 (e.g. a 0–1 reward). */
    outOfRange: number;
  };
}

export function buildQualityReport(records: DatasetRecord[], options: QualityReportOptions = {}): QualityReport {
  const nearThreshold = options.nearDuplicateThreshold ?? 0.8;
  const toxicityThreshold = options.toxicityThreshold ?? 0.5;
  const buckets = options.histogramBuckets ?? 10;
  const languageMinChars = options.languageMinChars ?? 40;
  const languageStride = Math.max(1, Math.ceil(records.length / Math.max(1, options.languageSampleSize ?? 5000)));
  let languageDetected = 0;

  const byType: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const promptChars: number[] = [];
  const promptTokens: number[] = [];
  const responseChars: number[] = [];
  const responseTokens: number[] = [];
  const vocabulary = new Set<string>();
  const prompts = new Set<string>();
  const hashes = new Set<string>();
  const hasher = minHasherFor();
  const nearIndex = new MinHashIndex({ numPerm: hasher.options.numPerm, bands: 32, expectedItems: records.length });
  let exact = 0;
  let near = 0;
  const languages: Record<string, number> = {};
  const findingsByKind = Object.fromEntries(PII_KINDS.map((kind) => [kind, 0])) as Record<PiiKind, number>;
  const recordsByKind = Object.fromEntries(PII_KINDS.map((kind) => [kind, 0])) as Record<PiiKind, number>;
  let recordsWithPii = 0;
  let toxicSum = 0;
  let flagged = 0;
  const termCounts = new Map<string, number>();
  const scoreHistogram = new Array<number>(10).fill(0);
  let scored = 0;
  let scoreSum = 0;
  let outOfRange = 0;

  records.forEach((record, position) => {
    const { content } = record;
    byType[content.type] = (byType[content.type] ?? 0) + 1;
    if (options.statusOf) {
      const status = options.statusOf(record) ?? 'unknown';
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
    const prompt = recordPromptText(content);
    const response = recordResponseText(content);
    const text = recordText(content);
    promptChars.push([...prompt].length);
    responseChars.push([...response].length);
    promptTokens.push(countTokens(prompt));
    responseTokens.push(countTokens(response));
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) vocabulary.add(word);
    prompts.add(normalizeForHash(prompt));

    const hash = contentHash(content);
    if (hashes.has(hash)) {
      exact++;
    } else {
      hashes.add(hash);
      const sig = hasher.signature(text);
      if (nearIndex.query(sig, nearThreshold).length > 0) near++;
      nearIndex.add(String(position), sig);
    }

    if (position % languageStride === 0) {
      const language = text.trim().length >= languageMinChars ? detect(text) || 'und' : 'und';
      languages[language] = (languages[language] ?? 0) + 1;
      languageDetected++;
    }

    const findings = textFields(content).flatMap((field) => detectPii(field.text));
    if (findings.length > 0) recordsWithPii++;
    const kindsHere = new Set<PiiKind>();
    for (const finding of findings) {
      findingsByKind[finding.kind]++;
      kindsHere.add(finding.kind);
    }
    for (const kind of kindsHere) recordsByKind[kind]++;

    const toxicity = scoreToxicity(text);
    toxicSum += toxicity.score;
    if (toxicity.score >= toxicityThreshold) flagged++;
    for (const term of toxicity.terms) termCounts.set(term, (termCounts.get(term) ?? 0) + 1);

    if (typeof record.score === 'number' && Number.isFinite(record.score)) {
      scored++;
      scoreSum += record.score;
      const rounded = Math.round(record.score);
      if (rounded >= 1 && rounded <= 10) scoreHistogram[rounded - 1]++;
      else outOfRange++;
    }
  });

  const total = records.length;
  const ratio = (part: number) => (total === 0 ? 0 : round(part / total));
  return {
    title: options.title ?? 'Dataset quality report',
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    counts: { total, byType, ...(options.statusOf ? { byStatus } : {}) },
    lengths: {
      prompt: { chars: distribution(promptChars, buckets), tokens: distribution(promptTokens, buckets) },
      response: { chars: distribution(responseChars, buckets), tokens: distribution(responseTokens, buckets) },
    },
    diversity: { vocabularySize: vocabulary.size, uniqueInstructionRatio: ratio(prompts.size) },
    duplicates: { exact, exactRatio: ratio(exact), near, nearRatio: ratio(near), nearThreshold },
    languages: sortByCount(languages),
    languageSample: { detected: languageDetected, of: total },
    pii: { recordsWithPii, ratio: ratio(recordsWithPii), findingsByKind, recordsByKind },
    toxicity: {
      threshold: toxicityThreshold,
      flaggedRecords: flagged,
      ratio: ratio(flagged),
      meanScore: total === 0 ? 0 : round(toxicSum / total),
      topTerms: [...termCounts]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, 20)
        .map(([term, count]) => ({ term, count })),
    },
    scores: {
      scored,
      unscored: total - scored,
      mean: scored === 0 ? null : round(scoreSum / scored),
      histogram: scoreHistogram.map((count, i) => ({ score: i + 1, count })),
      outOfRange,
    },
  };
}

/** min, max, mean, nearest-rank p50/p90 and an equal-width histogram of non-negative integers. */
export function distribution(values: number[], bucketCount = 10): Distribution {
  if (values.length === 0) return { min: 0, max: 0, mean: 0, p50: 0, p90: 0, histogram: [] };
  const sorted = [...values].sort((a, b) => a - b);
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  const width = Math.max(1, Math.ceil((max - min + 1) / Math.max(1, bucketCount)));
  const histogram: HistogramBucket[] = [];
  for (let from = min; from <= max; from += width) histogram.push({ from, to: Math.min(max, from + width - 1), count: 0 });
  for (const value of sorted) histogram[Math.min(histogram.length - 1, Math.floor((value - min) / width))].count++;
  return {
    min,
    max,
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    histogram,
  };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function sortByCount(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

function round(value: number): number {
  return Math.round(value * 10000) / 10000;
}
