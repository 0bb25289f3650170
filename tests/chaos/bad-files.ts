// The bad files a person will sooner or later hand datacreek, made for real: the fixtures' encrypted and image-only
// PDFs, and the rest written here (a truncated PDF, a DOCX zip bomb, a binary renamed .txt, Latin-1 text, an empty
// file, invalid dataset JSON, a JSONL with some broken lines), each with the error code it must be refused with.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { constants, crc32, createDeflateRaw } from 'node:zlib';
import { PROJECT_ROOT } from '../../src/infra/config/load';
import { zipArchive } from '../../testkit/zip';

const FIXTURE_PDFS = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'docs', 'pdf');

export interface BadFile {
  name: string;
  /** What is wrong with it, in words, for the report. */
  problem: string;
  /** The failure type the ingest must report for it (the ApplicationFailure type, e.g. DocumentError:encrypted_pdf). */
  expectedCode: string;
}

/** Deflates `chunk` repeated `times` times without holding the whole in memory; returns the bytes and the CRC. */
function deflateRepeated(chunk: Buffer, times: number): Promise<{ data: Buffer; crc: number }> {
  return new Promise((resolve, reject) => {
    const deflate = createDeflateRaw({ level: constants.Z_BEST_COMPRESSION });
    const out: Buffer[] = [];
    let crc = 0;
    deflate.on('data', (c: Buffer) => out.push(c));
    deflate.on('error', reject);
    deflate.on('end', () => resolve({ data: Buffer.concat(out), crc }));
    for (let i = 0; i < times; i++) {
      crc = crc32(chunk, crc);
      deflate.write(chunk);
    }
    deflate.end();
  });
}

/**
 * A DOCX whose document.xml is honest about its size: 256 MB of XML (whitespace inside a paragraph) in a file of
 * about 260 KB. Opening it naively would inflate a quarter of a gigabyte per request.
 */
export async function writeDocxZipBomb(file: string): Promise<{ bytes: number; uncompressed: number }> {
  const contentTypes = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
  );
  const small = await deflateRepeated(contentTypes, 1);
  const fill = Buffer.alloc(1 << 20, 0x20);
  const times = 256;
  const big = await deflateRepeated(fill, times);
  const archive = zipArchive([
    { name: '[Content_Types].xml', data: small.data, uncompressedSize: contentTypes.length, crc: small.crc },
    { name: 'word/document.xml', data: big.data, uncompressedSize: fill.length * times, crc: big.crc },
  ]);
  writeFileSync(file, archive);
  return { bytes: archive.length, uncompressed: fill.length * times + contentTypes.length };
}

/** Writes every bad file into `dir`; returns them with the code each must fail with. */
export async function writeBadFiles(dir: string): Promise<BadFile[]> {
  copyFileSync(path.join(FIXTURE_PDFS, 'password_protected.pdf'), path.join(dir, 'encrypted.pdf'));
  copyFileSync(path.join(FIXTURE_PDFS, 'ocr_test_no_text_layer.pdf'), path.join(dir, 'scanned.pdf'));
  const pdf = readFileSync(path.join(FIXTURE_PDFS, 'multi_page.pdf'));
  writeFileSync(path.join(dir, 'truncated.pdf'), pdf.subarray(0, Math.floor(pdf.length * 0.6)));
  const bomb = await writeDocxZipBomb(path.join(dir, 'bomb.docx'));
  // A PNG signature and binary body under a .txt name.
  writeFileSync(
    path.join(dir, 'photo.txt'),
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.alloc(4096, 0)]),
  );
  writeFileSync(path.join(dir, 'latin1.txt'), Buffer.from('Caf\xe9 cr\xe8me br\xfbl\xe9e: a recipe written in Latin-1, not UTF-8.\n', 'latin1'));
  writeFileSync(path.join(dir, 'empty.txt'), '');
  writeFileSync(path.join(dir, 'broken.json'), '{"instruction": "Say hello", "output": "Hello", ');
  return [
    { name: 'encrypted.pdf', problem: 'password-protected PDF', expectedCode: 'DocumentError:encrypted_pdf' },
    { name: 'scanned.pdf', problem: 'image-only PDF (no text layer)', expectedCode: 'DocumentError:no_text_layer' },
    { name: 'truncated.pdf', problem: 'PDF cut off at 60%', expectedCode: 'DocumentError:truncated_file' },
    {
      name: 'bomb.docx',
      problem: `DOCX zip bomb (${Math.round(bomb.bytes / 1024)} KB declaring ${Math.round(bomb.uncompressed / 2 ** 20)} MB)`,
      expectedCode: 'DocumentError:zip_bomb',
    },
    { name: 'photo.txt', problem: 'binary file renamed .txt', expectedCode: 'DocumentError:binary_content' },
    { name: 'latin1.txt', problem: 'Latin-1 text, not UTF-8', expectedCode: 'DocumentError:not_utf8' },
    { name: 'empty.txt', problem: 'empty file', expectedCode: 'DocumentError:empty_document' },
    { name: 'broken.json', problem: 'invalid dataset JSON', expectedCode: 'DatasetFormatError' },
  ];
}

/** A JSONL dataset in which lines 3 and 5 are broken: the good lines must be kept and the broken ones reported. */
export function writePartlyBrokenJsonl(file: string): { goodLines: number; brokenLines: number[] } {
  const good = (i: number) => JSON.stringify({ instruction: `Name a fact about topic ${i}.`, input: '', output: `Topic ${i} has fact number ${i * 7}.` });
  const lines = [good(1), good(2), '{"instruction": "half a record", "output": ', good(4), 'this line is not JSON at all', good(6), good(7)];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { goodLines: 5, brokenLines: [3, 5] };
}
