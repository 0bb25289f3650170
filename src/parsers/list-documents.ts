// Walks a folder and says, for every file, whether it would be ingested (and as what) or why not,
// without reading any file's content. This is what a `--preview` shows, and what ingestion iterates.
import { opendir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { DocumentError, describeBytes, type DocumentErrorCode } from './errors';
import { formatFromExtension, unsupportedFormatAdvice } from './detect-format';
import { DEFAULT_MAX_BYTES, type DocumentFormat } from './types';

export interface ListOptions {
  /** Globs (picomatch) over the path relative to the root, e.g. ['**\/*.pdf']; default every file. */
  include?: string[];
  /** Globs for files to leave out entirely, e.g. ['drafts/**']. */
  exclude?: string[];
  /** Files above this size are listed as skipped (default 100 MB, the parser's own limit). */
  maxFileBytes?: number;
  /** Also walk hidden files and folders (names starting with "."); default false. */
  includeHidden?: boolean;
}

export interface ListedFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the root, with "/" separators on every platform. */
  relativePath: string;
  size: number;
  format: DocumentFormat | null;
  /** Present when the file will not be ingested, with the reason a user can act on. */
  skipped?: { code: DocumentErrorCode; reason: string };
}

export async function listDocuments(root: string, opts: ListOptions = {}): Promise<ListedFile[]> {
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_BYTES;
  const included = picomatch(opts.include?.length ? opts.include : ['**'], { dot: opts.includeHidden === true });
  const excluded = opts.exclude?.length ? picomatch(opts.exclude, { dot: true }) : () => false;

  let rootStats;
  try {
    rootStats = await stat(root);
  } catch (error) {
    throw new DocumentError('not_found', root, 'does not exist or cannot be read', 'Check the path (it is resolved from the current directory)', { cause: error });
  }
  const files: { path: string; size: number }[] = [];
  if (rootStats.isFile()) files.push({ path: root, size: rootStats.size });
  else await collectFiles(root, opts.includeHidden === true, files);

  const listed: ListedFile[] = [];
  for (const file of files) {
    const relativePath = rootStats.isFile() ? file.path.split(sep).pop()! : relative(root, file.path).split(sep).join('/');
    if (!included(relativePath) || excluded(relativePath)) continue;
    const format = formatFromExtension(file.path);
    listed.push({ path: file.path, relativePath, size: file.size, format, skipped: skipReason(relativePath, file.size, format, maxFileBytes) });
  }
  return listed.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
}

function skipReason(relativePath: string, size: number, format: DocumentFormat | null, maxFileBytes: number): ListedFile['skipped'] {
  if (format === null) return { code: 'unsupported_format', reason: unsupportedFormatAdvice(relativePath) };
  if (size === 0) return { code: 'empty_document', reason: 'The file is empty' };
  if (size > maxFileBytes) {
    return { code: 'too_large', reason: `${describeBytes(size)} is over the ${describeBytes(maxFileBytes)} limit; split the file or raise maxFileBytes` };
  }
  return undefined;
}

/**
 * Regular files under `directory`. Symbolic links to files are followed; links to folders are not,
 * which rules out cycles and walking outside the chosen root.
 */
async function collectFiles(directory: string, includeHidden: boolean, into: { path: string; size: number }[]): Promise<void> {
  const entries = [];
  for await (const entry of await opendir(directory)) entries.push(entry);
  for (const entry of entries) {
    if (!includeHidden && entry.name.startsWith('.')) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      await collectFiles(path, includeHidden, into);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      const stats = await stat(path).catch(() => null); // a dangling link is not a document
      if (stats?.isFile()) into.push({ path, size: stats.size });
    }
  }
}
