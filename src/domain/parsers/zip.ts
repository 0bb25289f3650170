// A minimal zip reader for Office packages (DOCX, PPTX). It reads the central directory without
// inflating anything, so a zip bomb (a tiny file declaring gigabytes of content) is refused before
// any memory is spent, and it inflates single entries with a hard output cap, so an entry that lies
// about its size is refused too.
import { inflateRawSync } from 'node:zlib';
import { DocumentError, describeBytes } from './errors';

export interface ZipEntry {
  name: string;
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  encrypted: boolean;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const ZIP64_EXTRA_FIELD = 0x0001;
const STORED = 0;
const DEFLATED = 8;
/** Office packages have dozens to a few thousand parts; far more is a different kind of bomb. */
const MAX_ENTRIES = 50_000;

export class ZipArchive {
  readonly entries: ZipEntry[];
  private readonly byName: Map<string, ZipEntry>;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly fileName: string,
  ) {
    this.entries = readCentralDirectory(bytes, fileName);
    this.byName = new Map(this.entries.map((entry) => [entry.name, entry]));
  }

  get totalUncompressedBytes(): number {
    return this.entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Refuses archives whose entries together declare more than `limit` uncompressed bytes. */
  assertWithinLimit(limit: number): void {
    const declared = this.totalUncompressedBytes;
    if (declared > limit) {
      throw new DocumentError(
        'zip_bomb',
        this.fileName,
        `declares ${describeBytes(declared)} of uncompressed content in a ${describeBytes(this.bytes.length)} file, over the ${describeBytes(limit)} limit (a zip bomb or an unusually large document)`,
        'If the document is genuine, raise maxUncompressedBytes for this import; otherwise remove the file',
      );
    }
  }

  /**
   * Refuses entry names that climb out of the package (`../x`), are absolute (`/x`, `C:\\x`) or hold a NUL: a
   * genuine Office package never has them, and a tool that extracts this file would write outside its folder.
   */
  assertSafeEntryNames(): void {
    for (const entry of this.entries) {
      const parts = entry.name.split(/[\\/]/);
      if (parts.includes('..') || /^([\\/]|[a-zA-Z]:)/.test(entry.name) || entry.name.includes('\0')) {
        throw new DocumentError(
          'unsafe_content',
          this.fileName,
          `has a zip entry whose name leads outside the package (${JSON.stringify(entry.name)})`,
          'Remove the file; a genuine Office document never names parts like that',
        );
      }
    }
  }

  /** The entry's bytes, or undefined when the archive has no such entry. */
  read(name: string): Uint8Array | undefined {
    const entry = this.byName.get(name);
    return entry ? this.extract(entry) : undefined;
  }

  readText(name: string): string | undefined {
    const bytes = this.read(name);
    return bytes ? new TextDecoder('utf-8').decode(bytes) : undefined;
  }

  /** Inflates every entry with its declared size as a hard cap: proves no entry lies about its size. */
  verifyDeclaredSizes(): void {
    for (const entry of this.entries) this.extract(entry);
  }

  private extract(entry: ZipEntry): Uint8Array {
    if (entry.encrypted) {
      throw new DocumentError(
        'corrupt_file',
        this.fileName,
        `contains an encrypted zip entry (${entry.name})`,
        'Save an unprotected copy of the document and ingest that',
      );
    }
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const offset = entry.localHeaderOffset;
    if (offset + 30 > this.bytes.length || view.getUint32(offset, true) !== LOCAL_FILE_HEADER) {
      throw this.corrupt(`the local header of ${entry.name} is missing`);
    }
    const dataStart = offset + 30 + view.getUint16(offset + 26, true) + view.getUint16(offset + 28, true);
    const dataEnd = dataStart + entry.compressedSize;
    if (dataEnd > this.bytes.length) throw this.corrupt(`${entry.name} extends past the end of the file (truncated?)`);
    const data = this.bytes.subarray(dataStart, dataEnd);
    if (entry.compressionMethod === STORED) return data;
    if (entry.compressionMethod !== DEFLATED) {
      throw this.corrupt(`${entry.name} uses unsupported compression method ${entry.compressionMethod}`);
    }
    let inflated: Uint8Array;
    try {
      // The declared size is a hard cap: inflating more fails instead of allocating.
      inflated = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw this.lyingEntry(entry, error);
      throw this.corrupt(`${entry.name} cannot be inflated (${(error as Error).message})`, error);
    }
    if (inflated.length > entry.uncompressedSize) throw this.lyingEntry(entry);
    return inflated;
  }

  private lyingEntry(entry: ZipEntry, cause?: unknown): DocumentError {
    return new DocumentError(
      'zip_bomb',
      this.fileName,
      `entry ${entry.name} inflates to more than the ${describeBytes(entry.uncompressedSize)} it declares (a zip bomb)`,
      'Remove the file; a genuine Office document never misstates its sizes',
      { cause },
    );
  }

  private corrupt(detail: string, cause?: unknown): DocumentError {
    return new DocumentError('corrupt_file', this.fileName, `is a damaged zip package: ${detail}`, 'Re-save or re-download the document', {
      cause,
    });
  }
}

function readCentralDirectory(bytes: Uint8Array, fileName: string): ZipEntry[] {
  const corrupt = (detail: string) =>
    new DocumentError(
      'corrupt_file',
      fileName,
      `is not a readable zip package (${detail})`,
      'Re-save or re-download the document; a truncated copy is the usual cause',
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const endRecord = findEndOfCentralDirectory(view);
  if (endRecord < 0) throw corrupt('no end-of-central-directory record');

  let entryCount = view.getUint16(endRecord + 10, true);
  let directorySize = view.getUint32(endRecord + 12, true);
  let directoryOffset = view.getUint32(endRecord + 16, true);
  if (entryCount === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locator = endRecord - 20;
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR) throw corrupt('a zip64 archive without its locator');
    const zip64Record = Number(view.getBigUint64(locator + 8, true));
    if (zip64Record + 56 > bytes.length || view.getUint32(zip64Record, true) !== ZIP64_END_OF_CENTRAL_DIRECTORY) {
      throw corrupt('a broken zip64 end record');
    }
    entryCount = Number(view.getBigUint64(zip64Record + 32, true));
    directorySize = Number(view.getBigUint64(zip64Record + 40, true));
    directoryOffset = Number(view.getBigUint64(zip64Record + 48, true));
  }
  if (entryCount > MAX_ENTRIES) {
    throw new DocumentError('zip_bomb', fileName, `declares ${entryCount} zip entries`, 'Remove the file; Office documents hold far fewer parts');
  }
  if (directoryOffset + directorySize > bytes.length) throw corrupt('the central directory lies past the end of the file (truncated?)');

  const entries: ZipEntry[] = [];
  let cursor = directoryOffset;
  for (let i = 0; i < entryCount; i++) {
    if (cursor + 46 > bytes.length || view.getUint32(cursor, true) !== CENTRAL_DIRECTORY_HEADER) throw corrupt(`central directory entry ${i} is damaged`);
    const flags = view.getUint16(cursor + 8, true);
    const nameLength = view.getUint16(cursor + 28, true);
    const extraLength = view.getUint16(cursor + 30, true);
    const commentLength = view.getUint16(cursor + 32, true);
    const entry: ZipEntry = {
      name: new TextDecoder('utf-8').decode(bytes.subarray(cursor + 46, cursor + 46 + nameLength)),
      compressionMethod: view.getUint16(cursor + 10, true),
      compressedSize: view.getUint32(cursor + 20, true),
      uncompressedSize: view.getUint32(cursor + 24, true),
      localHeaderOffset: view.getUint32(cursor + 42, true),
      encrypted: (flags & 0x1) !== 0,
    };
    applyZip64Extra(view, cursor + 46 + nameLength, extraLength, entry);
    entries.push(entry);
    cursor += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Zip64 moves sizes and offsets that overflow 32 bits into an extra field, in a fixed order. */
function applyZip64Extra(view: DataView, start: number, length: number, entry: ZipEntry): void {
  let cursor = start;
  const end = start + length;
  while (cursor + 4 <= end) {
    const id = view.getUint16(cursor, true);
    const size = view.getUint16(cursor + 2, true);
    if (id === ZIP64_EXTRA_FIELD) {
      let field = cursor + 4;
      const next = (): number => {
        const value = Number(view.getBigUint64(field, true));
        field += 8;
        return value;
      };
      if (entry.uncompressedSize === 0xffffffff) entry.uncompressedSize = next();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
      if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
      return;
    }
    cursor += 4 + size;
  }
}

function findEndOfCentralDirectory(view: DataView): number {
  // The record is 22 bytes plus a comment of up to 65535 bytes, at the very end of the file.
  const lowest = Math.max(0, view.byteLength - 22 - 0xffff);
  for (let offset = view.byteLength - 22; offset >= lowest; offset--) {
    if (view.getUint32(offset, true) === END_OF_CENTRAL_DIRECTORY) return offset;
  }
  return -1;
}
