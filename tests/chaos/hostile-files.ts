// Hostile files, generated (nothing large is committed): each is small or quick to write, and each attacks the
// ingest in its own way: parser time (deep HTML, thousands of PDF pages), parser memory (entity expansion, a
// 30 MB JSON line), the file system (zip entries named ../, links out of the allowed root, odd names), and
// sheer volume (600,000 CSV rows, 10 MB of text). `expected` says what the ingest must answer for each.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { zipArchive } from '../../testkit/zip';

export interface HostileFile {
  /** The entry's path relative to the ingested folder, as the ingest result names it. */
  name: string;
  problem: string;
  expected:
    | { status: 'failed'; code: string /** The message must contain this (the limit, or the line). */; mentions: string }
    | { status: 'skipped'; reason: string }
    | { status: 'ingested'; seedRecords?: number };
}

/** Every element nested inside the previous one: parse time grows faster than linearly with the depth. */
export function nestedHtml(depth: number): string {
  return `<!doctype html><html><head><title>nested ${depth}</title></head><body>${'<div>'.repeat(depth)}deep inside${'</div>'.repeat(depth)}</body></html>`;
}

/** A valid PDF of `pages` pages sharing one content stream and one font: small to write, heavy to parse. */
export function manyPagePdf(pages: number): Buffer {
  const objects: string[] = [];
  const firstPage = 5;
  const kids = Array.from({ length: pages }, (_, i) => `${firstPage + i} 0 R`).join(' ');
  const content = 'BT /F1 12 Tf 72 720 Td (A page of a very long document.) Tj ET';
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  objects[4] = `<< /Length ${content.length} >>\nstream\n${content}\nendstream`;
  for (let i = 0; i < pages; i++) {
    objects[firstPage + i] = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 3 0 R >> >> >>';
  }
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let n = 1; n < objects.length; n++) {
    offsets[n] = Buffer.byteLength(body, 'latin1');
    body += `${n} 0 obj\n${objects[n]}\nendobj\n`;
  }
  const xrefAt = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let n = 1; n < objects.length; n++) body += `${String(offsets[n]).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A DOCX package from XML parts (deflated, honest sizes and CRCs). */
function docx(parts: Record<string, string>): Buffer {
  return zipArchive(
    Object.entries(parts).map(([name, xml]) => {
      const raw = Buffer.from(xml, 'utf8');
      return { name, data: deflateRawSync(raw), uncompressedSize: raw.length, crc: crc32(raw) };
    }),
  );
}

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const RELS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';
const documentXml = (doctype: string, body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>${doctype}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>${body}</w:t></w:r></w:p></w:body></w:document>`;

/** "Billion laughs": ten levels of entities, each ten of the one below; 10^9 "lol"s from a few hundred bytes. */
export function billionLaughsDocx(): Buffer {
  const entities = ['<!ENTITY lol0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`)].join('');
  return docx({ '[Content_Types].xml': CONTENT_TYPES, '_rels/.rels': RELS, 'word/document.xml': documentXml(`<!DOCTYPE w:document [${entities}]>`, '&lol9;') });
}

/** An external entity that would pull a file of the worker machine into the document's text. */
export function externalEntityDocx(target: string): Buffer {
  return docx({
    '[Content_Types].xml': CONTENT_TYPES,
    '_rels/.rels': RELS,
    'word/document.xml': documentXml(`<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://${target}">]>`, '&xxe;'),
  });
}

/** A good-looking DOCX with an extra entry whose name climbs out of any folder it is extracted to. */
export function zipSlipDocx(): Buffer {
  return docx({
    '[Content_Types].xml': CONTENT_TYPES,
    '_rels/.rels': RELS,
    'word/document.xml': documentXml('', 'An innocent paragraph.'),
    '../../../../tmp/datacreek-zip-slip.sh': '#!/bin/sh\necho owned\n',
  });
}

/**
 * Writes the hostile files (and a good control file) into `dir`, and a secret outside it that links inside point
 * to. Returns the files with their expected outcomes, and the secret's marker (no chunk may ever contain it).
 */
export function writeHostileFiles(dir: string, outsideDir: string, marker: string): { files: HostileFile[]; control: string } {
  mkdirSync(dir, { recursive: true });
  mkdirSync(path.join(outsideDir, 'private'), { recursive: true });
  const write = (name: string, data: string | Buffer) => writeFileSync(path.join(dir, name), data);
  const files: HostileFile[] = [];
  const add = (name: string, problem: string, expected: HostileFile['expected'], data?: string | Buffer) => {
    if (data !== undefined) write(name, data);
    files.push({ name, problem, expected });
  };

  // Refused by the depth pre-scan (ingest.max_html_depth, 512 by default) before any DOM is built.
  for (const [name, depth] of [
    ['nested-1k.html', 1_000],
    ['nested-2k.html', 2_000],
    ['nested-5k.html', 5_000],
    ['nested-20k.html', 20_000],
    ['nested-2mb.html', 200_000],
  ] as const) {
    const html = nestedHtml(depth);
    add(
      name,
      `HTML nested ${depth.toLocaleString('en-US')} deep (${Math.round(html.length / 1024).toLocaleString('en-US')} KB)`,
      {
        status: 'failed',
        code: 'DocumentError:limit_exceeded',
        mentions: `${depth.toLocaleString('en-US')}; limit`,
      },
      html,
    );
  }
  add(
    'pages-3000.pdf',
    'valid PDF of 3,000 pages',
    { status: 'failed', code: 'DocumentError:limit_exceeded', mentions: 'too many pages: 3,000; limit 2,000' },
    manyPagePdf(3_000),
  );
  add(
    'laughs.docx',
    'DOCX with XML entity expansion (billion laughs)',
    { status: 'failed', code: 'DocumentError:unsafe_content', mentions: 'DOCTYPE' },
    billionLaughsDocx(),
  );
  writeFileSync(path.join(outsideDir, 'private', 'secret.txt'), `${marker}: the key to the vault.\n`);
  add(
    'xxe.docx',
    'DOCX with an external entity (file:// outside the root)',
    { status: 'failed', code: 'DocumentError:unsafe_content', mentions: 'DOCTYPE' },
    externalEntityDocx(path.join(outsideDir, 'private', 'secret.txt')),
  );
  add(
    'zip-slip.docx',
    'DOCX with a zip entry named ../../../../tmp/…',
    { status: 'failed', code: 'DocumentError:unsafe_content', mentions: '../' },
    zipSlipDocx(),
  );
  add(
    'program.txt',
    'binary (an ELF header and random bytes) named .txt',
    { status: 'failed', code: 'DocumentError:binary_content', mentions: 'program.txt' },
    Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 256))]),
  );
  add(
    'nul-late.md',
    'Markdown with a NUL byte after 100 KB of text',
    { status: 'failed', code: 'DocumentError:binary_content', mentions: 'NUL byte at offset' },
    Buffer.concat([Buffer.from('# Notes\n\n' + 'Plain words in a plain file. '.repeat(4000)), Buffer.from([0]), Buffer.from('after the NUL\n')]),
  );
  const hugeLine = JSON.stringify({ instruction: 'x'.repeat(30 * 1024 * 1024), output: 'short' });
  add(
    'huge-line.jsonl',
    'JSONL of one 30 MB line (instruction of 30 MB)',
    { status: 'failed', code: 'DatasetFormatError', mentions: 'line 1' },
    `${hugeLine}\n`,
  );
  const sentence = 'The survey boat logged the estuary tide, the salinity and the water temperature at every buoy. ';
  const longText = sentence.repeat(Math.ceil((10 * 1024 * 1024) / sentence.length));
  add('long-text.txt', 'plain text of 10 MB (thousands of chunks)', { status: 'ingested' }, longText);
  const rows = 600_000;
  const csv = ['question,answer'];
  for (let i = 0; i < rows; i++) csv.push(`What is ${i} plus one?,${i + 1}`);
  add('rows-600k.csv', 'CSV of 600,000 rows', { status: 'ingested', seedRecords: rows }, `${csv.join('\n')}\n`);
  add('new\\nline.txt', 'file name with a newline', { status: 'skipped', reason: 'unreadable name' });
  write('new\nline.txt', 'A name no one can type.\n');
  add('.hidden-notes.txt', 'dotfile', { status: 'skipped', reason: 'hidden file' }, 'Hidden notes.\n');
  add(
    'ünïcødé 文件.txt',
    'unicode file name',
    { status: 'ingested' },
    'Unicode names are ordinary: this file is ingested like any other, with its tide tables.\n',
  );
  symlinkSync(path.join(outsideDir, 'private', 'secret.txt'), path.join(dir, 'secret-link.txt'));
  add('secret-link.txt', 'link to a file outside the allowed root', { status: 'skipped', reason: 'link leads outside the allowed roots' });
  symlinkSync('/etc/passwd', path.join(dir, 'passwd.txt'));
  add('passwd.txt', 'link to /etc/passwd', { status: 'skipped', reason: 'link leads outside the allowed roots' });
  symlinkSync(path.join(outsideDir, 'private'), path.join(dir, 'private-dir'));
  add('private-dir', 'link to a folder outside the allowed root', { status: 'skipped', reason: 'link leads outside the allowed roots' });
  execFileSync('mkfifo', [path.join(dir, 'pipe.txt')]);
  add('pipe.txt', 'named pipe with a text extension (reading it would block forever)', { status: 'skipped', reason: 'not a regular file' });

  const control = 'control.md';
  write(control, '# Control\n\nThe control file of the hostile suite. The harbour master logged 41 ships in March and 57 in April.\n');
  return { files, control };
}
