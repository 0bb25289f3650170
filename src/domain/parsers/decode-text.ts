// Turns the bytes of a text-like file into a string, refusing what would only produce garbage:
// binary files with a text extension and text that is not UTF-8 (unless the caller names the encoding).
import { basename, extname } from 'node:path';
import { DocumentError } from './errors';
import { sniffFormat } from './detect-format';

const BINARY_SAMPLE_BYTES = 64 * 1024;
/** More control characters than this share of the sample means it is not text. */
const MAX_CONTROL_CHARACTER_RATIO = 0.1;

/** Refuses files that are binary (NUL bytes, many control characters), naming what they look like. */
export function assertTextual(bytes: Uint8Array, fileName: string): void {
  if (hasUtf16ByteOrderMark(bytes)) return; // UTF-16 is text, even though it is full of NULs
  const sample = bytes.subarray(0, BINARY_SAMPLE_BYTES);
  let nulBytes = 0;
  let controlBytes = 0;
  for (const byte of sample) {
    if (byte === 0) nulBytes++;
    // Tab, LF, FF, CR and ESC (ANSI colours in logs) are normal in text files.
    else if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d && byte !== 0x1b) || byte === 0x7f) {
      controlBytes++;
    }
  }
  // A NUL past the sample still ends the file's life as text: PostgreSQL cannot store it in a chunk.
  const lateNul = nulBytes === 0 && sample.length < bytes.length ? bytes.indexOf(0, sample.length) : -1;
  if (nulBytes === 0 && lateNul < 0 && controlBytes / Math.max(sample.length, 1) <= MAX_CONTROL_CHARACTER_RATIO) return;
  const realFormat = sniffFormat(bytes);
  if (lateNul >= 0) {
    throw new DocumentError(
      'binary_content',
      fileName,
      `contains a NUL byte at offset ${lateNul}, which text never holds`,
      "Remove the NUL bytes (e.g. `tr -d '\\000' < FILE > clean.txt`), or remove the file from the input",
    );
  }
  const evidence = nulBytes > 0 ? `${nulBytes} NUL bytes` : `${controlBytes} control characters`;
  const hint = realFormat
    ? `Its content is a ${realFormat.toUpperCase()} file: rename it with the .${realFormat === 'text' ? 'txt' : realFormat} extension`
    : 'It is probably a binary file with a text extension: give it its real extension or remove it from the input';
  throw new DocumentError(
    'binary_content',
    fileName,
    `looks binary, not text (${evidence} in the first ${Math.min(bytes.length, BINARY_SAMPLE_BYTES)} bytes)`,
    hint,
  );
}

/**
 * Decodes text strictly as UTF-8 (a BOM is dropped), or with `encoding` when the caller knows it.
 * Invalid UTF-8 fails with `not_utf8`, saying where and how to convert the file.
 */
export function decodeText(bytes: Uint8Array, fileName: string, encoding?: string): string {
  // Naming UTF-8 explicitly (e.g. from an HTTP charset) keeps the strict check: it is the default.
  if (encoding && !/^utf-?8$/i.test(encoding.trim())) return decodeWithLabel(bytes, encoding, fileName);
  if (hasUtf16ByteOrderMark(bytes)) {
    const variant = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    throw new DocumentError(
      'not_utf8',
      fileName,
      `is ${variant.toUpperCase()} text, not UTF-8`,
      `Convert it: \`iconv -f ${variant} -t utf-8 "${fileName}" > "${utf8CopyName(fileName)}"\`, or pass encoding: '${variant}'`,
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    const offset = firstInvalidUtf8Offset(bytes);
    const byte = offset >= 0 ? bytes[offset] : undefined;
    const where = byte === undefined ? '' : ` (byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} at offset ${offset})`;
    throw new DocumentError(
      'not_utf8',
      fileName,
      `is not valid UTF-8${where}; it is probably Latin-1 / Windows-1252 text`,
      `Convert it to UTF-8: \`iconv -f latin1 -t utf-8 "${fileName}" > "${utf8CopyName(fileName)}"\`, or pass encoding: 'latin1' (or the file's real encoding)`,
      { cause },
    );
  }
}

function decodeWithLabel(bytes: Uint8Array, encoding: string, fileName: string): string {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(encoding);
  } catch {
    throw new RangeError(`Unknown text encoding '${encoding}' for ${fileName}: use a WHATWG label such as utf-8, latin1, windows-1252, utf-16le, shift_jis`);
  }
  return decoder.decode(bytes);
}

function hasUtf16ByteOrderMark(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

function utf8CopyName(fileName: string): string {
  const extension = extname(fileName);
  return `${basename(fileName, extension)}.utf8${extension}`;
}

/** Offset of the first byte that breaks UTF-8 (-1 when valid), so the error can point at it. */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i++;
      continue;
    }
    let continuationBytes: number;
    let minimum: number;
    if (lead >= 0xc2 && lead <= 0xdf) [continuationBytes, minimum] = [1, 0x80];
    else if (lead >= 0xe0 && lead <= 0xef) [continuationBytes, minimum] = [2, 0x800];
    else if (lead >= 0xf0 && lead <= 0xf4) [continuationBytes, minimum] = [3, 0x10000];
    else return i;
    let codePoint = lead & (0x3f >> continuationBytes);
    for (let k = 1; k <= continuationBytes; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    if (codePoint < minimum || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += continuationBytes + 1;
  }
  return -1;
}
