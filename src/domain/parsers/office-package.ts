// Opening DOCX/PPTX packages safely: recognise the password-protected / legacy containers that are
// not zips at all, refuse zip bombs from the central directory before inflating anything, and read
// the package's core properties (title, author).
import { DOMParser } from 'linkedom';
import type { DomDocument } from './dom-types';
import { DocumentError } from './errors';
import { isOleCompoundFile } from './detect-format';
import { ZipArchive } from './zip';

export type OfficeKind = 'docx' | 'pptx';

const MAIN_PART: Record<OfficeKind, string> = { docx: 'word/document.xml', pptx: 'ppt/presentation.xml' };
const LEGACY_EXTENSION: Record<OfficeKind, string> = { docx: 'doc', pptx: 'ppt' };

export function openOfficePackage(fileName: string, bytes: Uint8Array, kind: OfficeKind, maxUncompressedBytes: number): ZipArchive {
  if (isOleCompoundFile(bytes)) {
    throw new DocumentError(
      'unsupported_format',
      fileName,
      `is not a ${kind.toUpperCase()} zip package but an OLE compound file: either password-protected, or a legacy .${LEGACY_EXTENSION[kind]} file renamed`,
      `If it has a password, save an unprotected copy from Office; if it is a legacy file, convert it: \`libreoffice --headless --convert-to ${kind} "${fileName}"\``,
    );
  }
  const archive = new ZipArchive(bytes, fileName);
  archive.assertWithinLimit(maxUncompressedBytes);
  archive.assertSafeEntryNames();
  if (!archive.has(MAIN_PART[kind])) {
    throw new DocumentError(
      'corrupt_file',
      fileName,
      `is a zip file without ${MAIN_PART[kind]}, so it is not a ${kind.toUpperCase()} document`,
      'Check the file type; re-save it from Office as a .' + kind + ' document',
    );
  }
  assertNoDocumentTypeDeclarations(archive, fileName);
  return archive;
}

/**
 * Office Open XML parts never carry a DOCTYPE. One that does is an attack on the XML parser: entity expansion
 * ("billion laughs": a few KB declaring gigabytes of text) or external entities (`SYSTEM "file:///etc/passwd"`),
 * so the package is refused before any XML parser sees it.
 */
function assertNoDocumentTypeDeclarations(archive: ZipArchive, fileName: string): void {
  for (const entry of archive.entries) {
    if (!/\.(xml|rels)$/i.test(entry.name)) continue;
    const xml = archive.readText(entry.name) ?? '';
    if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
      throw new DocumentError(
        'unsafe_content',
        fileName,
        `declares XML entities in ${entry.name} (a DOCTYPE, used for entity-expansion and external-entity attacks)`,
        'Remove the file; Word and PowerPoint never write a DOCTYPE. If it is genuine, open it in Office and save it again',
      );
    }
  }
}

export interface CoreProperties {
  title?: string;
  author?: string;
  created?: string;
  modified?: string;
}

/** docProps/core.xml: optional, so a missing or odd one yields no properties rather than an error. */
export function readCoreProperties(archive: ZipArchive): CoreProperties {
  const xml = archive.readText('docProps/core.xml');
  if (!xml) return {};
  const document = parseXml(xml);
  const value = (tag: string) => document.getElementsByTagName(tag)[0]?.textContent?.trim() || undefined;
  return { title: value('dc:title'), author: value('dc:creator'), created: value('dcterms:created'), modified: value('dcterms:modified') };
}

export function parseXml(xml: string): DomDocument {
  return new DOMParser().parseFromString(xml, 'text/xml') as unknown as DomDocument;
}
