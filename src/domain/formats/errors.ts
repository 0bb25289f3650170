// Errors a person fixes by changing their input: each one names the file (or format) and says how.

/** The dataset file cannot be read as a whole (bad JSON, unknown shape, wrong encoding …). */
export class DatasetFormatError extends Error {
  override name = 'DatasetFormatError';
  constructor(
    readonly fileName: string,
    message: string,
    /** What to change so the file imports. */
    readonly hint: string,
  ) {
    super(`${fileName}: ${message}. ${hint}`);
  }
}

/** Records cannot be written in the requested export format (wrong record type, unrepresentable shape). */
export class ExportFormatError extends Error {
  override name = 'ExportFormatError';
  constructor(
    readonly format: string,
    message: string,
    readonly hint: string,
  ) {
    super(`${format}: ${message}. ${hint}`);
  }
}
