// Shared by the formats tests: the real datasets copied into tests/fixtures/datasets (see SOURCES.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DATASETS = fileURLToPath(new URL('../../fixtures/datasets/', import.meta.url));

export function fixtureInput(fileName: string): { fileName: string; bytes: Uint8Array } {
  return { fileName, bytes: readFileSync(`${DATASETS}${fileName}`) };
}

export function fixtureJson<T = unknown>(fileName: string): T {
  return JSON.parse(readFileSync(`${DATASETS}${fileName}`, 'utf8')) as T;
}

export function textInput(fileName: string, text: string): { fileName: string; bytes: Uint8Array } {
  return { fileName, bytes: new TextEncoder().encode(text) };
}
