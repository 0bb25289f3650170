// What every stage of one processBatch attempt shares: the batch's identity and settings, the endpoint turn its
// LLM calls take, its token count, and the rule that a batch is written to only while it is open.
import { ApplicationFailure } from '@temporalio/activity';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../infra/db';
import type { LlmClient } from '../infra/llm';
import type { TokenCount } from '../infra/llm/types';
import type { PromptTemplates } from '../domain/generation';
import type { BuildSettings } from '../workflows/build-settings';
import type { ActivityDeps } from './deps';

export interface BatchRun {
  deps: ActivityDeps;
  sql: Sql;
  settings: BuildSettings;
  batchId: string;
  round: number;
  index: number;
  llm: LlmClient;
  prompts: PromptTemplates;
  signal: AbortSignal;
  /** Runs a call to the generation endpoint in this batch's turn (see build-gate.ts). */
  inTurn: <T>(call: () => Promise<T>) => Promise<T>;
  /** Runs an embedding call, in turn when the embeddings come from the generation endpoint. */
  embedInTurn: <T>(call: () => Promise<T>) => Promise<T>;
  countUsage: (usage: TokenCount | undefined) => void;
}

/** Positions leave room for many items per source item: position = ordinal * 1000 + k. */
export const POSITION_STRIDE = 1000;

/**
 * Runs a write of this batch in a transaction that first takes a share lock on the batch row and checks it is
 * still open. Acceptance and finalization change the row's status under an exclusive lock, so a write either
 * lands before the batch is decided or not at all.
 */
export async function writeWhileOpen<T>(sql: Sql, batchId: string, write: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    const [row] = await tx<{ status: string }[]>`select status from batches where id = ${batchId} for share`;
    if (row?.status !== 'processing') throw batchClosed(batchId, row?.status ?? 'missing');
    return write(tx);
  })) as T;
}

export function batchClosed(batchId: string, status: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'BatchClosed',
    message: `batch ${batchId} is ${status}: this attempt outlived its turn and writes nothing`,
    nonRetryable: true,
  });
}

export function isBatchClosed(error: unknown): boolean {
  return error instanceof ApplicationFailure && error.type === 'BatchClosed';
}
