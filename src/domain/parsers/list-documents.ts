// Walks a folder and says, for every entry under it, whether it would be ingested (and as what) or why not,
// without reading any file's content. Nothing is left out silently: hidden files, files excluded by a glob,
// unreadable names, links and special files are listed too, each with the reason it is skipped. This is what
// a `--preview` shows, and what ingestion iterates.
import type { Dirent, Stats } from 'node:fs';
import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { DocumentError, describeBytes, type DocumentErrorCode } from './errors';
import { formatFromExtension, unsupportedFormatAdvice } from './detect-format';
import { DEFAULT_MAX_BYTES, type DocumentFormat } from './types';

export interface ListOptions {
  /** Globs (picomatch) over the path relative to the root, e.g. ['**\/*.pdf']; default every file. */
  include?: string[];
  /** Globs for files to leave out, e.g. ['drafts/**'] (listed as skipped). */
  exclude?: string[];
  /** Files above this size are listed as skipped (default 100 MB, the parser's own limit). */
  maxFileBytes?: number;
  /** Also walk hidden files and folders (names starting with "."); default false (they are listed as skipped). */
  includeHidden?: boolean;
  /**
   * Real (symlink-free) absolute folders every file must resolve into. Each file is resolved with realpath before
   * it is listed as ingestible; one that leads elsewhere is skipped. Unset: links to files are followed anywhere.
   */
  confineTo?: string[];
}

/** Why an entry is not ingested: a document problem, or a reason found while walking the folder. */
export type SkipCode = DocumentErrorCode | 'hidden' | 'excluded' | 'not_included' | 'unreadable_name' | 'link_outside_roots' | 'link_to_folder' | 'not_a_file';

export interface ListedFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the root, with "/" separators on every platform; a skipped folder ends with "/". */
  relativePath: string;
  size: number;
  format: DocumentFormat | null;
  /** For a symbolic link: the real path it leads to. */
  linkTarget?: string;
  /** Present when the entry will not be ingested, with the reason a user can act on. */
  skipped?: { code: SkipCode; reason: string };
}

export const LINK_OUTSIDE_ROOTS_REASON = 'link leads outside the allowed roots';

export async function listDocuments(root: string, opts: ListOptions = {}): Promise<ListedFile[]> {
  let rootStats: Stats;
  try {
    rootStats = await stat(root);
  } catch (error) {
    throw new DocumentError('not_found', root, 'does not exist or cannot be read', 'Check the path (it is resolved from the current directory)', {
      cause: error,
    });
  }
  const walker = new FolderWalker(root, opts);
  if (rootStats.isFile()) await walker.addFile(root, root.split(sep).pop()!, false);
  else await walker.walk(root);
  return walker.listed.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
}

class FolderWalker {
  readonly listed: ListedFile[] = [];
  private readonly included: (path: string) => boolean;
  private readonly excluded: (path: string) => boolean;
  private readonly maxFileBytes: number;

  constructor(
    private readonly root: string,
    private readonly opts: ListOptions,
  ) {
    this.included = picomatch(opts.include?.length ? opts.include : ['**'], { dot: true });
    this.excluded = opts.exclude?.length ? picomatch(opts.exclude, { dot: true }) : () => false;
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_BYTES;
  }

  async walk(directory: string): Promise<void> {
    const entries: Dirent[] = [];
    for await (const entry of await opendir(directory)) entries.push(entry);
    for (const entry of entries) {
      const path = join(directory, entry.name);
      const relativePath = relative(this.root, path).split(sep).join('/');
      const folder = entry.isDirectory();
      const skip = (code: SkipCode, reason: string, shownPath = relativePath) =>
        this.listed.push({ path, relativePath: folder ? `${shownPath}/` : shownPath, size: 0, format: null, skipped: { code, reason } });
      if (unreadableName(entry.name)) {
        // Shown escaped ("a\nb.txt"), so the name cannot break a listing or a log line.
        const escaped = JSON.stringify(relativePath).slice(1, -1);
        skip('unreadable_name', 'unreadable name (a control character such as a newline, or bytes that are not UTF-8); rename it', escaped);
      } else if (entry.name.startsWith('.') && this.opts.includeHidden !== true) {
        skip('hidden', folder ? 'hidden folder (not walked)' : 'hidden file');
      } else if (folder) {
        await this.walk(path);
      } else if (entry.isSymbolicLink() || entry.isFile()) {
        await this.addFile(path, relativePath, entry.isSymbolicLink());
      } else {
        skip('not_a_file', 'not a regular file (a socket, pipe or device)');
      }
    }
  }

  async addFile(path: string, relativePath: string, isLink: boolean): Promise<void> {
    const entry: ListedFile = { path, relativePath, size: 0, format: formatFromExtension(path) };
    this.listed.push(entry);
    if (!this.included(relativePath)) return void (entry.skipped = { code: 'not_included', reason: 'not matched by the include globs' });
    if (this.excluded(relativePath)) return void (entry.skipped = { code: 'excluded', reason: 'excluded by a glob' });

    const real = await realpath(path).catch(() => null);
    if (isLink && real) entry.linkTarget = real;
    if (!real) return void (entry.skipped = { code: 'not_found', reason: 'a link to nothing (its target does not exist)' });
    if (this.opts.confineTo && !this.opts.confineTo.some((root) => isInside(real, root))) {
      return void (entry.skipped = { code: 'link_outside_roots', reason: LINK_OUTSIDE_ROOTS_REASON });
    }
    const info = await lstat(real).catch(() => null);
    if (info?.isDirectory()) return void (entry.skipped = { code: 'link_to_folder', reason: 'a link to a folder (links to folders are not followed)' });
    if (!info?.isFile()) return void (entry.skipped = { code: 'not_a_file', reason: 'not a regular file (a socket, pipe or device)' });
    entry.size = info.size;
    entry.skipped = skipReason(relativePath, info.size, entry.format, this.maxFileBytes);
  }
}

/** True when `child` is `root` or lies below it (both absolute). */
export function isInside(child: string, root: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Control characters (a newline) or undecodable bytes (shown as U+FFFD) make a name no one can type or read. */
function unreadableName(name: string): boolean {
  return /[\u0000-\u001f\u007f\ufffd]/.test(name);
}

function skipReason(relativePath: string, size: number, format: DocumentFormat | null, maxFileBytes: number): ListedFile['skipped'] {
  if (format === null) return { code: 'unsupported_format', reason: unsupportedFormatAdvice(relativePath) };
  if (size === 0) return { code: 'empty_document', reason: 'The file is empty' };
  if (size > maxFileBytes) {
    return { code: 'too_large', reason: `${describeBytes(size)} is over the ${describeBytes(maxFileBytes)} limit; split the file or raise maxFileBytes` };
  }
  return undefined;
}
