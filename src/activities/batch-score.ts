// Scoring inside a batch, as a stream: candidates are judged (and/or reward-scored) in groups of the judge's
// batch size as soon as enough of them have been generated, not after the whole batch is generated. So the
// judge calls of a batch overlap its own generation calls and no slot waits for the batch's slowest chunk.
// Each group's outcome is written as soon as it is known, so a retried activity only scores what is left.
import type { LlmClient } from '../infra/llm';
import type { TokenCount } from '../infra/llm';
import { judgeRecords, rewardScoreRecords } from '../domain/generation';
import type { PromptTemplates } from '../domain/generation';
import type { RecordContent } from '../domain/records';
import type { BuildSettings } from '../workflows/build-settings';
import { writeWhileOpen, type BatchRun } from './batch-run';
import { writeRejections, writeScores, type RejectionWrite, type ScoreWrite } from './build-writes';

export interface CandidateToScore {
  id: string;
  content: RecordContent;
  /** The chunk it was generated from, shown to the judge. */
  sourceText?: string;
}

export interface ScoringOutcome {
  scores: ScoreWrite[];
  rejections: RejectionWrite[];
}

export interface StreamingScorerOptions {
  scoring: BuildSettings['scoring'];
  llm: () => LlmClient;
  rewardLlm: () => LlmClient;
  judgeBatchSize: number;
  reward: { parse: 'content' | 'logprobs'; weights: Record<string, number> };
  prompts: PromptTemplates;
  signal?: AbortSignal;
  /** Runs a call to the judge's endpoint in this batch's turn (see build-gate.ts). */
  inTurn: <T>(call: () => Promise<T>) => Promise<T>;
  countUsage: (usage: TokenCount | undefined) => void;
  /** Stores one group's outcome; called once per group, possibly concurrently. */
  persist: (outcome: ScoringOutcome) => Promise<void>;
}

export class StreamingScorer {
  private queue: CandidateToScore[] = [];
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;

  constructor(private readonly options: StreamingScorerOptions) {}

  get enabled(): boolean {
    return this.options.scoring.mode !== 'none';
  }

  /** Queues candidates; full groups go out at once. */
  add(candidates: CandidateToScore[]): void {
    if (!this.enabled || candidates.length === 0) return;
    this.queue.push(...candidates);
    const size = this.options.judgeBatchSize;
    while (this.queue.length >= size) this.send(this.queue.splice(0, size));
  }

  /** Sends what is left, waits for every group, and throws the first failure (the activity then retries). */
  async finish(): Promise<void> {
    if (this.queue.length) this.send(this.queue.splice(0));
    while (this.pending.size) await Promise.allSettled([...this.pending]);
    if (this.failure !== undefined) throw this.failure;
  }

  private send(group: CandidateToScore[]): void {
    const work = this.score(group)
      .then((outcome) => this.options.persist(outcome))
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  private async score(group: CandidateToScore[]): Promise<ScoringOutcome> {
    const { mode, threshold, rewardThreshold } = this.options.scoring;
    const scores = new Map<string, ScoreWrite>();
    const rejections: RejectionWrite[] = [];
    if (mode === 'judge' || mode === 'both') {
      const judged = await this.options.inTurn(() =>
        judgeRecords(this.options.llm(), group, {
          batchSize: this.options.judgeBatchSize,
          prompts: this.options.prompts,
          signal: this.options.signal,
        }),
      );
      this.options.countUsage(judged.usage);
      const byId = new Map(judged.ratings.map((r) => [r.id, r]));
      for (const c of group) {
        const rating = byId.get(c.id);
        if (!rating) {
          rejections.push({ id: c.id, reason: 'judge_failed', detail: judged.failures.find((f) => f.id === c.id)?.reason ?? 'no rating returned' });
          continue;
        }
        scores.set(c.id, { id: c.id, score: rating.rating, reasoning: rating.reasoning, reward: null });
        if (rating.rating < threshold) rejections.push({ id: c.id, reason: 'low_score', detail: `judge ${rating.rating} < ${threshold}` });
      }
    }
    if (mode === 'reward' || mode === 'both') {
      const rewarded = await rewardScoreRecords(
        this.options.rewardLlm(),
        group.map((c) => ({ id: c.id, content: c.content })),
        { parse: this.options.reward.parse, weights: this.options.reward.weights, signal: this.options.signal },
      );
      this.options.countUsage(rewarded.usage);
      const byId = new Map(rewarded.scores.map((r) => [r.id, r]));
      for (const c of group) {
        const r = byId.get(c.id);
        if (!r) {
          rejections.push({ id: c.id, reason: 'reward_failed', detail: rewarded.failures.find((f) => f.id === c.id)?.reason ?? 'no reward returned' });
          continue;
        }
        const existing = scores.get(c.id);
        if (existing) existing.reward = r;
        else scores.set(c.id, { id: c.id, score: r.score, reasoning: null, reward: r });
        if (r.score < rewardThreshold) rejections.push({ id: c.id, reason: 'low_reward', detail: `reward ${r.score.toFixed(2)} < ${rewardThreshold}` });
      }
    }
    // A record rejected by both judge and reward keeps the first reason, as before (one row, one reason).
    const seen = new Set<string>();
    return { scores: [...scores.values()], rejections: rejections.filter((r) => !seen.has(r.id) && seen.add(r.id)) };
  }
}

/**
 * The score stage of a batch: a scorer that writes each group's scores as they come, already holding the candidates
 * an earlier attempt generated but did not get scored. `sourceText` maps chunk ids to their text, shown to the judge.
 */
export async function startScoring(run: BatchRun, sourceText: Map<string, string>): Promise<StreamingScorer> {
  const { deps, sql, batchId } = run;
  const scorer = new StreamingScorer({
    scoring: run.settings.scoring,
    llm: deps.llm,
    rewardLlm: deps.rewardLlm,
    judgeBatchSize: deps.config.curate.judge_batch_size,
    reward: { parse: deps.config.reward.parse, weights: deps.config.reward.weights },
    prompts: run.prompts,
    signal: run.signal,
    inTurn: run.inTurn,
    countUsage: run.countUsage,
    // Scores and the rejections they cause land together: a retry must never see a low score left a candidate.
    persist: async (outcome) => {
      await writeWhileOpen(sql, batchId, async (tx) => {
        await writeScores(tx, outcome.scores);
        await writeRejections(tx, outcome.rejections);
      });
    },
  });
  if (scorer.enabled) {
    // A retry: candidates generated by an earlier attempt whose judge call had not finished.
    const unscored = await sql<{ id: string; content: RecordContent; chunk_id: string | null }[]>`
      select id, content, chunk_id from records
      where batch_id = ${batchId} and status = 'candidate' and score is null order by position`;
    scorer.add(unscored.map((c) => ({ id: c.id, content: c.content, sourceText: c.chunk_id ? sourceText.get(c.chunk_id) : undefined })));
  }
  return scorer;
}
