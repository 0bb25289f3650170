// Shared helpers for the parser tests: reading the committed fixtures, and building zip files by
// hand (to make zip bombs that no archiver would produce).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/docs/', import.meta.url));

export function fixture(relativePath: string): { fileName: string; bytes: Uint8Array } {
  return { fileName: relativePath.split('/').pop()!, bytes: new Uint8Array(readFileSync(`${FIXTURES_DIR}${relativePath}`)) };
}

export interface ZipEntrySpec {
  name: string;
  content: Uint8Array | string;
  /** Override the uncompressed size written in the headers (to lie about it). */
  declaredSize?: number;
}

/** A deflate-compressed zip whose headers say whatever `declaredSize` says. */
export function buildZip(entries: ZipEntrySpec[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const content = typeof entry.content === 'string' ? Buffer.from(entry.content) : Buffer.from(entry.content);
    const compressed = deflateRawSync(content);
    const name = Buffer.from(entry.name);
    const size = entry.declaredSize ?? content.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}
