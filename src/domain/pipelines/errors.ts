// Validation problems of a pipeline file, each naming where it is (file, block, path) and how to fix it,
// all collected before anything runs so one `validate` shows every mistake at once.

export interface PipelineIssue {
  file: string;
  /** `#2 gen_knowledge (LLMBlock)`, or undefined for file-level problems. */
  block?: string;
  /** Where inside the file: `blocks[1].config.output_cols`. */
  path: string;
  message: string;
  fix: string;
}

export function formatIssue(issue: PipelineIssue): string {
  const where = [issue.file, issue.block ? `block ${issue.block}` : undefined, issue.path].filter(Boolean).join(' › ');
  return `${where}: ${issue.message} — ${issue.fix}`;
}

export class PipelineValidationError extends Error {
  readonly code = 'InvalidPipeline';
  readonly hint: string;

  constructor(readonly issues: PipelineIssue[]) {
    super(`The pipeline is not valid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n  - ${issues.map(formatIssue).join('\n  - ')}`);
    this.name = 'PipelineValidationError';
    this.hint = issues[0]?.fix ?? '';
  }
}
