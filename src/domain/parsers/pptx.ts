// PowerPoint decks read straight from the package XML (through the guarded zip reader), so every
// slide keeps its number: title first, then text boxes (groups included) in drawing order, tables
// as " | " rows, chart titles, and the speaker notes. One segment per slide.
import { posix } from 'node:path';
import type { DomDocument, DomElement } from './dom-types';
import { DocumentError } from './errors';
import { openOfficePackage, parseXml, readCoreProperties } from './office-package';
import { TextAssembler } from './text-assembly';
import type { ZipArchive } from './zip';
import { DEFAULT_MAX_UNCOMPRESSED_BYTES, type ParsedDocument, type ParseOptions } from './types';

const RELATIONSHIP_TYPE_SUFFIX = { slide: '/slide', notes: '/notesSlide', chart: '/chart' } as const;
const TITLE_PLACEHOLDERS = new Set(['title', 'ctrTitle']);
/** Placeholders on a notes page that repeat slide furniture rather than the speaker's notes. */
const NOTES_FURNITURE_PLACEHOLDERS = new Set(['sldImg', 'sldNum', 'hdr', 'ftr', 'dt']);

interface Relationship {
  type: string;
  target: string;
}

interface SlideContent {
  title?: string;
  blocks: string[];
  notes?: string;
}

export function parsePptx(fileName: string, bytes: Uint8Array, options: ParseOptions): ParsedDocument {
  const archive = openOfficePackage(fileName, bytes, 'pptx', options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES);
  const slidePaths = slidePartsInOrder(archive, fileName);
  const assembler = new TextAssembler();
  const slidesWithoutText: number[] = [];
  const hiddenSlides: number[] = [];
  const slideTitles: (string | null)[] = [];

  slidePaths.forEach((path, index) => {
    const slideNumber = index + 1;
    const slideXml = archive.readText(path);
    if (!slideXml) throw missingPart(fileName, path);
    const slide = parseXml(slideXml);
    if (slide.documentElement.getAttribute('show') === '0') hiddenSlides.push(slideNumber);
    const content = readSlide(archive, path, slide);
    slideTitles.push(content.title ?? null);
    const parts = [content.title, ...content.blocks, content.notes ? `Notes:\n${content.notes}` : undefined];
    if (!assembler.add(parts.filter((part) => part && part.trim().length > 0).join('\n\n'), { slide: slideNumber })) {
      slidesWithoutText.push(slideNumber);
    }
  });

  if (assembler.text.length === 0) {
    throw new DocumentError(
      'empty_document',
      fileName,
      `has no text on any of its ${slidePaths.length} slides`,
      'Text inside pictures needs OCR; export the slides as a PDF, run `ocrmypdf` on it and ingest that',
    );
  }
  const properties = readCoreProperties(archive);
  return {
    fileName,
    format: 'pptx',
    title: properties.title ?? slideTitles.find((title): title is string => Boolean(title)),
    text: assembler.text,
    segments: assembler.segments,
    metadata: { slideCount: slidePaths.length, slidesWithoutText, hiddenSlides, slideTitles, author: properties.author },
  };
}

/** Slide parts in presentation order (the order of p:sldIdLst, not of file names). */
function slidePartsInOrder(archive: ZipArchive, fileName: string): string[] {
  const presentationPath = 'ppt/presentation.xml';
  const presentation = parseXml(archive.readText(presentationPath) ?? '');
  const relationships = readRelationships(archive, presentationPath);
  const paths: string[] = [];
  for (const slideId of elementsNamed(presentation.documentElement, 'sldId')) {
    const relationship = relationships.get(slideId.getAttribute('r:id') ?? '');
    if (!relationship?.type.endsWith(RELATIONSHIP_TYPE_SUFFIX.slide)) {
      throw new DocumentError(
        'corrupt_file',
        fileName,
        `lists a slide (${slideId.getAttribute('r:id')}) that the package does not contain`,
        'Open it in PowerPoint or LibreOffice Impress and save it again',
      );
    }
    paths.push(relationship.target);
  }
  return paths;
}

function readSlide(archive: ZipArchive, slidePath: string, slide: DomDocument): SlideContent {
  const relationships = readRelationships(archive, slidePath);
  const content: SlideContent = { blocks: [] };
  const shapeTree = elementsNamed(slide.documentElement, 'spTree')[0];
  if (shapeTree) collectShapes(shapeTree, content, archive, relationships);
  const notesPart = [...relationships.values()].find((relationship) => relationship.type.endsWith(RELATIONSHIP_TYPE_SUFFIX.notes));
  if (notesPart) content.notes = readNotes(archive, notesPart.target);
  return content;
}

function collectShapes(container: DomElement, content: SlideContent, archive: ZipArchive, relationships: Map<string, Relationship>): void {
  for (const shape of Array.from(container.children)) {
    switch (localName(shape)) {
      case 'sp': {
        const text = textBodyText(shape);
        if (!text) break;
        const placeholder = placeholderType(shape);
        if (placeholder && TITLE_PLACEHOLDERS.has(placeholder) && content.title === undefined) content.title = text;
        else content.blocks.push(text);
        break;
      }
      case 'grpSp':
        collectShapes(shape, content, archive, relationships);
        break;
      case 'graphicFrame': {
        const table = elementsNamed(shape, 'tbl')[0];
        if (table) content.blocks.push(tableText(table));
        const chart = elementsNamed(shape, 'chart')[0];
        const chartPart = chart ? relationships.get(chart.getAttribute('r:id') ?? '') : undefined;
        if (chartPart) {
          const summary = chartSummary(archive, chartPart.target);
          if (summary) content.blocks.push(summary);
        }
        break;
      }
      case 'AlternateContent': {
        // Newer shape kinds come with a fallback rendition; read only one of the two.
        const choice = elementsNamed(shape, 'Choice')[0] ?? elementsNamed(shape, 'Fallback')[0];
        if (choice) collectShapes(choice, content, archive, relationships);
        break;
      }
      default:
        break; // pictures, connectors, media: no text
    }
  }
}

/** Paragraphs of a shape's text body, one per line; line breaks inside a paragraph kept. */
function textBodyText(shape: DomElement): string {
  const body = childrenNamed(shape, 'txBody')[0];
  if (!body) return '';
  return childrenNamed(body, 'p')
    .map(paragraphText)
    .filter((line) => line.trim().length > 0)
    .join('\n')
    .trim();
}

function paragraphText(paragraph: DomElement): string {
  let text = '';
  for (const child of Array.from(paragraph.children)) {
    const name = localName(child);
    if (name === 'r' || name === 'fld') text += childrenNamed(child, 't')[0]?.textContent ?? '';
    else if (name === 'br') text += '\n';
  }
  return text.replace(/[ \t]+/g, ' ');
}

function tableText(table: DomElement): string {
  return childrenNamed(table, 'tr')
    .map((row) =>
      // Cells covered by a merge are empty; keeping them keeps every row's columns aligned.
      childrenNamed(row, 'tc')
        .map((cell) => textBodyText(cell).replace(/\s*\n\s*/g, ' '))
        .join(' | '),
    )
    .filter((row) => row.replace(/[|\s]/g, '').length > 0)
    .join('\n');
}

function chartSummary(archive: ZipArchive, chartPath: string): string | undefined {
  const xml = archive.readText(chartPath);
  if (!xml) return undefined;
  const chart = parseXml(xml).documentElement;
  const title = elementsNamed(chart, 'title')
    .map((element) =>
      elementsNamed(element, 't')
        .map((run) => run.textContent ?? '')
        .join(''),
    )
    .find((text) => text.trim().length > 0);
  const series = elementsNamed(chart, 'ser')
    .map((element) => elementsNamed(childrenNamed(element, 'tx')[0] ?? element, 'v')[0]?.textContent?.trim())
    .filter((name): name is string => Boolean(name));
  if (!title && series.length === 0) return undefined;
  return [`Chart: ${title?.trim() ?? 'untitled'}`, series.length > 0 ? `Series: ${series.join(', ')}` : ''].filter(Boolean).join('\n');
}

function readNotes(archive: ZipArchive, notesPath: string): string | undefined {
  const xml = archive.readText(notesPath);
  if (!xml) return undefined;
  const shapes = elementsNamed(parseXml(xml).documentElement, 'sp');
  const text = shapes
    .filter((shape) => !NOTES_FURNITURE_PLACEHOLDERS.has(placeholderType(shape) ?? ''))
    .map(textBodyText)
    .filter((block) => block.length > 0)
    .join('\n');
  return text.length > 0 ? text : undefined;
}

function placeholderType(shape: DomElement): string | undefined {
  const placeholder = elementsNamed(shape, 'ph')[0];
  if (!placeholder) return undefined;
  // A placeholder without a type is a body placeholder by definition.
  return placeholder.getAttribute('type') ?? 'body';
}

/** A part's relationships by id, with targets resolved to package paths. */
function readRelationships(archive: ZipArchive, partPath: string): Map<string, Relationship> {
  const relsPath = posix.join(posix.dirname(partPath), '_rels', `${posix.basename(partPath)}.rels`);
  const xml = archive.readText(relsPath);
  const relationships = new Map<string, Relationship>();
  if (!xml) return relationships;
  for (const element of elementsNamed(parseXml(xml).documentElement, 'Relationship')) {
    if (element.getAttribute('TargetMode') === 'External') continue;
    const target = element.getAttribute('Target') ?? '';
    const resolved = target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join(posix.dirname(partPath), target));
    relationships.set(element.getAttribute('Id') ?? '', { type: element.getAttribute('Type') ?? '', target: resolved });
  }
  return relationships;
}

function missingPart(fileName: string, path: string): DocumentError {
  return new DocumentError('corrupt_file', fileName, `is missing its part ${path}`, 'Open it in PowerPoint or LibreOffice Impress and save it again');
}

// OOXML names carry namespace prefixes (p:sp, a:t); they are conventional, so match on the local part.
function localName(element: DomElement): string {
  const name = element.tagName;
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

function childrenNamed(element: DomElement, name: string): DomElement[] {
  return Array.from(element.children).filter((child) => localName(child) === name);
}

/** Descendants with this local name, in document order. */
function elementsNamed(element: DomElement, name: string): DomElement[] {
  const found: DomElement[] = [];
  const walk = (parent: DomElement) => {
    for (const child of Array.from(parent.children)) {
      if (localName(child) === name) found.push(child);
      walk(child);
    }
  };
  walk(element);
  return found;
}
