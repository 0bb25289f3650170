// Finding the workflow a person named (a task id, or a dataset id meaning its build), with the CLI's own errors.
// Loaded on demand by the commands that talk to Temporal.
import type { Client } from '@temporalio/client';
import { datasetOfBuild, findNamedWorkflow, statusOf, takesBuildControls, type NamedWorkflow } from '../client';
import { CliError, EXIT } from './output';

/** The id as given, else `build-<id>` (a dataset id names its build); exit 4 when neither exists. */
export async function findWorkflow(client: Client, id: string): Promise<NamedWorkflow> {
  const workflow = await findNamedWorkflow(client, id);
  if (workflow) return workflow;
  throw new CliError(
    `no task or build named "${id}"`,
    EXIT.notFound,
    'Give a task id (as printed when it started) or a dataset id; list datasets with `datacreek datasets list`.',
  );
}

/** Live controls only make sense on a running build or pipeline run. */
export function requireRunningBuild(workflow: NamedWorkflow, action: string): void {
  if (!takesBuildControls(workflow.description)) {
    throw new CliError(
      `${workflow.workflowId} is a ${workflow.description.type} workflow; only builds and pipeline runs can ${action}`,
      EXIT.usage,
      'Name a dataset (its build), a build-<dataset> id or a pipeline-… run id.',
    );
  }
  const status = statusOf(workflow.description);
  if (status !== 'running') {
    throw new CliError(
      `build ${workflow.workflowId} is ${status}; it cannot ${action}`,
      EXIT.failure,
      `Start a new build with \`datacreek build --dataset ${datasetOfBuild(workflow.workflowId) ?? workflow.workflowId} --target N\`.`,
    );
  }
}
