// The contract every filter step keeps: records in, the kept ones out, and for every removal or
// modification one entry saying which step did it and why. Counts add up: kept + rejected = input.
import type { DatasetRecord } from '../records';

export interface FilterRejection {
  id: string;
  step: string;
  /** `code: detail`, e.g. `too_short: response 3 < 10 chars`. The code before the colon is stable. */
  reason: string;
}

export interface FilterModification {
  id: string;
  step: string;
  change: string;
}

export interface FilterOutcome {
  kept: DatasetRecord[];
  rejected: FilterRejection[];
  modified: FilterModification[];
}

export interface FilterStep {
  name: string;
  apply(records: DatasetRecord[]): Promise<FilterOutcome>;
}

/** Scores in [0, 1] for each text, in order (e.g. a toxicity classifier behind an endpoint). */
export type ClassifyFunction = (texts: string[]) => Promise<number[]>;

/** Whether a record is supported by its source (an LLM judge, written elsewhere). */
export type GroundednessJudge = (record: DatasetRecord) => Promise<{ grounded: boolean; reason: string }>;

/** The text a record was generated from (its chunk), or undefined when it has none. */
export type SourceTextLookup = (record: DatasetRecord) => string | undefined;

/** Functions steps may need that cannot live in a config file. */
export interface FilterDependencies {
  classify?: ClassifyFunction;
  judge?: GroundednessJudge;
  sourceText?: SourceTextLookup;
}

/** The stable code of a reason: the text before the first colon. */
export function reasonCode(reason: string): string {
  const colon = reason.indexOf(':');
  return colon < 0 ? reason : reason.slice(0, colon);
}
