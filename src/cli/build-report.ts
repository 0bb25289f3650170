// Follows a build to its end and reports it: the summary for people, the final progress for --json, and the exit
// code. Shared by `build`, `create` and `status --follow`.
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { buildExitCode, buildSummary, generatingModel } from './build-progress';
import { displayFor, followBuild } from './follow-build';
import { CliError, configFor, EXIT, exitCodeOfFailure, globalOptions, print } from './output';

export interface FollowedBuild {
  workflowId: string;
  datasetId: string;
  url: string;
  taskQueue: string;
  /** When the build started (ms since epoch), for the elapsed time. */
  startedAt: number;
  shortIsSuccess?: boolean;
}

/** Returns the exit code; a failed build throws a CliError carrying the activity's message and hint. */
export async function reportFollowedBuild(cmd: Command, client: Client, build: FollowedBuild): Promise<number> {
  const { json } = globalOptions(cmd);
  const outcome = await followBuild(client, build.workflowId, {
    display: displayFor(json),
    taskQueue: build.taskQueue,
    model: generatingModel(configFor(cmd)),
  });
  const elapsedSeconds = (Date.now() - build.startedAt) / 1000;
  switch (outcome.kind) {
    case 'detached':
      print(cmd, `\ndetached: ${build.workflowId} keeps running in Temporal.\nre-attach: datacreek status ${build.datasetId} --follow\nhistory: ${build.url}`, {
        workflowId: build.workflowId,
        status: 'running',
        detached: true,
        progress: outcome.progress ?? null,
        url: build.url,
      });
      return EXIT.ok;
    case 'completed':
      print(cmd, `${buildSummary(outcome.progress, elapsedSeconds)}\nhistory: ${build.url}`, {
        workflowId: build.workflowId,
        url: build.url,
        elapsedSeconds: Math.round(elapsedSeconds * 10) / 10,
        ...outcome.progress,
      });
      return buildExitCode(outcome.progress, { shortIsSuccess: build.shortIsSuccess });
    case 'cancelled':
      print(
        cmd,
        `${outcome.progress ? buildSummary(outcome.progress, elapsedSeconds) : 'stopped: cancelled'}\naccepted records are kept.\nhistory: ${build.url}`,
        { workflowId: build.workflowId, url: build.url, status: 'cancelled', stopReason: 'cancelled', ...(outcome.progress ?? {}) },
      );
      return EXIT.failure;
    case 'failed':
      throw new CliError(
        `build ${build.workflowId} failed: ${outcome.failure.message}`,
        exitCodeOfFailure(outcome.failure.code),
        outcome.failure.hint ?? `Read its history: ${build.url}`,
      );
  }
}
