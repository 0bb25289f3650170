// An operation's refusal as the CLI reports it: an exit code, and a hint in terms of commands (not HTTP routes).
import { DatasetBusyError, NotFoundError, UpdateRejectedError, WorkflowUnresponsiveError, type OperationError } from '../client';
import { CliError, EXIT } from './output';

export function cliErrorOf(err: OperationError): CliError {
  if (err instanceof DatasetBusyError) {
    return new CliError(err.message, EXIT.busy, err.hint ?? 'Wait for the task(s) to finish, or stop them with `datacreek cancel <task>`, then try again.');
  }
  if (err instanceof UpdateRejectedError) {
    return new CliError(err.message, EXIT.usage, `Check its progress with \`datacreek status ${err.workflowId}\` and send a value it can take.`);
  }
  if (err instanceof WorkflowUnresponsiveError) {
    return new CliError(err.message, EXIT.failure, `Check that a worker polls task queue "${err.taskQueue}" (datacreek dev or datacreek worker), then retry.`);
  }
  if (err instanceof NotFoundError) return new CliError(err.message, EXIT.notFound);
  return new CliError(err.message, EXIT.failure);
}
