// One error type for every way a document can fail to become text. Each carries a machine-readable
// code (so callers can count and route failures), the file or URL it concerns, and a hint that tells
// the user what to do about it. The message always names the input and repeats the hint.

export type DocumentErrorCode =
  | 'encrypted_pdf'
  | 'no_text_layer'
  | 'corrupt_file'
  | 'truncated_file'
  | 'unsupported_format'
  | 'empty_document'
  | 'binary_content'
  | 'not_utf8'
  | 'zip_bomb'
  | 'too_large'
  | 'not_found'
  | 'url_forbidden'
  | 'fetch_failed'
  | 'no_transcript'
  | 'unsafe_content'
  | 'limit_exceeded'
  | 'parse_timeout'
  | 'parse_out_of_memory';

export interface DocumentErrorOptions {
  /** True when trying again later may succeed (network trouble, HTTP 5xx / 429). */
  retryable?: boolean;
  cause?: unknown;
}

export class DocumentError extends Error {
  override name = 'DocumentError';
  readonly code: DocumentErrorCode;
  readonly fileName: string;
  /** What the user can do about it, e.g. "decrypt it with qpdf --decrypt ...". */
  readonly hint: string;
  readonly retryable: boolean;

  constructor(code: DocumentErrorCode, fileName: string, problem: string, hint: string, options: DocumentErrorOptions = {}) {
    super(`${fileName}: ${problem}. ${hint}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fileName = fileName;
    this.hint = hint;
    this.retryable = options.retryable ?? false;
  }

  /** A plain object for logs, API responses and Temporal failure details. */
  toJSON(): { code: DocumentErrorCode; fileName: string; message: string; hint: string; retryable: boolean } {
    return { code: this.code, fileName: this.fileName, message: this.message, hint: this.hint, retryable: this.retryable };
  }
}

export function isDocumentError(error: unknown): error is DocumentError {
  return error instanceof DocumentError;
}

export function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/**
 * A file over one of the hard limits that keep a hostile input from exhausting a worker (nesting depth, element
 * count, page count …). The message gives the measured value and the limit; the hint names the setting to raise.
 */
export function limitExceeded(fileName: string, what: string, actual: number, limit: number, setting: string): DocumentError {
  return new DocumentError(
    'limit_exceeded',
    fileName,
    `${what}: ${actual.toLocaleString('en-US')}; limit ${limit.toLocaleString('en-US')}`,
    `Split or simplify the file; if it is genuine, raise ${setting}`,
  );
}
