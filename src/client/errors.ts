// What an operation can refuse, as types the API maps to HTTP statuses and the CLI to exit codes. Each carries
// the facts (ids, names, reasons); the adapters word the hint for their own users (a route vs a command).

export class OperationError extends Error {
  constructor(
    message: string,
    /** A stable machine-readable code (the API's `error.code`). */
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A request the caller must change (e.g. a config override naming a setting it may not set); the hint says how. */
export class InvalidRequestError extends OperationError {
  constructor(
    code: string,
    message: string,
    readonly hint: string,
    /** Each problem and where it is, when there are several. */
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message, code);
  }
}

/** The thing named does not exist, or belongs to another user (reported alike, so ids never reveal what exists). */
export class NotFoundError extends OperationError {
  constructor(
    readonly resource: 'dataset' | 'task',
    readonly id: string,
  ) {
    super(`${resource} "${id}" not found`, 'not_found');
  }
}

/** Dataset ids are unique across the server (they name workflows and vector tables). */
export class DatasetExistsError extends OperationError {
  constructor(readonly datasetId: string) {
    super(`Dataset id "${datasetId}" is already taken`, 'dataset_exists');
  }
}

/** The same workflow id already runs (a second build of one dataset). */
export class TaskAlreadyRunningError extends OperationError {
  constructor(
    readonly taskId: string,
    readonly datasetId: string,
  ) {
    super(`Task "${taskId}" is already running for dataset "${datasetId}"`, 'task_already_running');
  }
}

/**
 * Another task writes the dataset. Either a task holds its writer lease (`hint` says how to wait for it), or a
 * deletion found tasks still running on it (`runningTasks` names them).
 */
export class DatasetBusyError extends OperationError {
  constructor(
    readonly datasetId: string,
    message: string,
    readonly hint: string | undefined,
    readonly runningTasks: string[] = [],
  ) {
    super(message, 'DatasetBusy');
  }
}

/** The workflow refused an update (e.g. a target below what it already accepted). */
export class UpdateRejectedError extends OperationError {
  constructor(
    readonly workflowId: string,
    readonly update: string,
    readonly reason: string,
  ) {
    super(`${workflowId} refused ${update}: ${reason}`, 'update_rejected');
  }
}

/** Nobody answered an update in time: no worker polls the task queue, or it is overloaded. */
export class WorkflowUnresponsiveError extends OperationError {
  constructor(
    readonly workflowId: string,
    readonly update: string,
    readonly deadlineMs: number,
    readonly taskQueue: string,
  ) {
    super(`${workflowId} did not answer ${update} within ${deadlineMs / 1000} s`, 'workflow_unresponsive');
  }
}
