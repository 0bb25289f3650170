// Zip archives built by hand for test fixtures: archivers refuse to write the lies a parser must survive (sizes
// that do not match, entries named ../), so the headers are written here, field by field.
import { crc32, deflateRawSync } from 'node:zlib';

/** One entry whose bytes are already deflated; `uncompressedSize` and `crc` are written as given. */
export interface DeflatedZipEntry {
  name: string;
  data: Buffer;
  uncompressedSize: number;
  crc: number;
}

/** A zip archive (stored central directory, deflated entries): enough for an Office package. */
export function zipArchive(entries: DeflatedZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(entry.crc >>> 0, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(entry.crc >>> 0, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.uncompressedSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, entry.data);
    centrals.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export interface ZipEntrySpec {
  name: string;
  content: Uint8Array | string;
  /** Override the uncompressed size written in the headers (to lie about it). */
  declaredSize?: number;
}

/** A zip of plain contents, deflated here; the headers say whatever `declaredSize` says. */
export function buildZip(entries: ZipEntrySpec[]): Uint8Array {
  return new Uint8Array(
    zipArchive(
      entries.map((entry) => {
        const content = Buffer.from(entry.content);
        return { name: entry.name, data: deflateRawSync(content), uncompressedSize: entry.declaredSize ?? content.length, crc: crc32(content) };
      }),
    ),
  );
}
