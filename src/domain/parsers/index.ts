// Document ingestion library: files, folders, web pages and YouTube videos in; clean text with
// provenance (or a DocumentError naming the input and the fix) out. Chunking lives in src/domain/chunking.
export type { DocumentFormat, DocumentSegment, ParsedDocument, ParseOptions } from './types';
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_UNCOMPRESSED_BYTES } from './types';
export { DocumentError, describeBytes, isDocumentError, type DocumentErrorCode } from './errors';
export { detectFormat, SUPPORTED_EXTENSIONS } from './detect-format';
export { parseDocument } from './parse-document';
export { fetchUrl, DEFAULT_FETCH_MAX_BYTES, type FetchUrlOptions, type FetchedDocument } from './fetch-url';
export { addressRange, type NetworkPolicy } from './network-guard';
export { fetchYouTubeTranscript, isYouTubeUrl, youTubeVideoId, type YouTubeOptions } from './youtube';
export { listDocuments, isInside, LINK_OUTSIDE_ROOTS_REASON, type ListOptions, type ListedFile } from './list-documents';
export * from './list-documents';
