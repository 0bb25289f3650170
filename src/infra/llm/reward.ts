// Reward models in the Nemotron style: given a conversation that ends with an assistant
// turn, they score it on the HelpSteer2 attributes (typically 0–4) and answer either in the message
// content, as `helpfulness:3.9,correctness:4.0,…`, or in the logprobs, one token per attribute whose
// `logprob` is the score (how build.nvidia.com serves Nemotron-4-340B-Reward). This module reads
// both and folds the attributes into one score.
import type { TokenLogprob } from './types';

export type RewardParseMode = 'content' | 'logprobs';
export type RewardAttributes = Record<string, number>;

export const HELPSTEER_ATTRIBUTES = ['helpfulness', 'correctness', 'coherence', 'complexity', 'verbosity'] as const;

/**
 * The default weights: the ones NVIDIA's Nemotron-4-340B-Reward model card recommends for using it as
 * a single scalar reward (0.3, 0.74, 0.46, 0.47, −0.33 on the five HelpSteer2 attributes). Verbosity
 * counts against a response: a long answer is not a better one.
 */
export const NEMOTRON_REWARD_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  helpfulness: 0.3,
  correctness: 0.74,
  coherence: 0.46,
  complexity: 0.47,
  verbosity: -0.33,
});

export interface RewardFormula {
  /** Weight per attribute; attributes not listed are reported but do not count. */
  weights: Record<string, number>;
  /**
   * `weighted_sum` (the default): Σ wᵢ·aᵢ, as the model card describes.
   * `weighted_mean`: Σ wᵢ·aᵢ / Σ |wᵢ|, which stays on the attributes' own 0–4 scale.
   */
  combine: 'weighted_sum' | 'weighted_mean';
}

export const DEFAULT_REWARD_FORMULA: RewardFormula = { weights: { ...NEMOTRON_REWARD_WEIGHTS }, combine: 'weighted_sum' };

const ATTRIBUTE_PAIR = /([A-Za-z][A-Za-z_-]*)\s*[:=]\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/g;

/**
 * Reads attribute scores from a reward model's answer: a content string (`name:value` pairs separated
 * by commas, spaces or newlines) or its logprobs (an array of `{token, logprob}` or an object with
 * such a `content` array). Names are lower-cased; the last value of a repeated name wins.
 */
export function parseRewardAttributes(
  contentOrLogprobs: string | readonly TokenLogprob[] | { content?: readonly TokenLogprob[] | null } | null | undefined,
): RewardAttributes {
  if (contentOrLogprobs == null) return {};
  if (typeof contentOrLogprobs === 'string') {
    const fromJson = jsonAttributes(contentOrLogprobs);
    if (fromJson) return fromJson;
    const attributes: RewardAttributes = {};
    for (const match of contentOrLogprobs.matchAll(ATTRIBUTE_PAIR)) attributes[match[1].toLowerCase()] = Number(match[2]);
    return attributes;
  }
  const entries = Array.isArray(contentOrLogprobs)
    ? (contentOrLogprobs as readonly TokenLogprob[])
    : ((contentOrLogprobs as { content?: readonly TokenLogprob[] | null }).content ?? []);
  const attributes: RewardAttributes = {};
  for (const entry of entries) {
    const name = entry.token.trim().toLowerCase();
    // Separators and whitespace tokens carry no score.
    if (/^[a-z][a-z_-]*$/.test(name) && Number.isFinite(entry.logprob)) attributes[name] = entry.logprob;
  }
  return attributes;
}

/** Numeric fields of a JSON object answer (structured output), or undefined when the text is not one. */
function jsonAttributes(text: string): RewardAttributes | undefined {
  if (!text.trim().startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const attributes: RewardAttributes = {};
    for (const [name, value] of Object.entries(parsed)) if (typeof value === 'number' && Number.isFinite(value)) attributes[name.toLowerCase()] = value;
    return attributes;
  } catch {
    return undefined;
  }
}

export type CombinedReward = { ok: true; score: number } | { ok: false; reason: string };

/** Folds attributes into one score; an attribute the formula weighs but the model did not return is an error, not a zero. */
export function combineRewardScore(attributes: RewardAttributes, formula: RewardFormula = DEFAULT_REWARD_FORMULA): CombinedReward {
  const weighted = Object.entries(formula.weights).filter(([, weight]) => weight !== 0);
  if (weighted.length === 0) return { ok: false, reason: 'the reward formula has no non-zero weight' };
  const missing = weighted.map(([name]) => name).filter((name) => !Number.isFinite(attributes[name]));
  if (missing.length > 0) {
    const found = Object.keys(attributes);
    return {
      ok: false,
      reason: `the reward model did not return ${missing.join(', ')} (it returned ${found.length ? found.join(', ') : 'no attributes'}); adjust the reward weights or the parse mode`,
    };
  }
  const sum = weighted.reduce((total, [name, weight]) => total + weight * attributes[name], 0);
  if (formula.combine === 'weighted_sum') return { ok: true, score: sum };
  const norm = weighted.reduce((total, [, weight]) => total + Math.abs(weight), 0);
  return { ok: true, score: sum / norm };
}
