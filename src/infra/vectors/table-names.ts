// Every LanceDB table name derived from a dataset id, and the rule for which tables belong to a dataset.
// Two forms exist on disk:
// - `chunks__<id>` / `records__<id>`: what ingest and build write. Dataset ids are already limited to a
//   table-safe alphabet, so the id is kept as it is; renaming them would orphan every existing store's tables.
// - `ds_<slug>_<hash8>__<purpose>`: for any other id (slashes, spaces, Unicode; LanceDB accepts only letters,
//   digits, '_', '-' and '.'). A readable slug plus a hash of the exact id keeps names valid, recognisable in a
//   directory listing, and distinct for ids that slug alike.
import { createHash } from 'node:crypto';

const VALID_TABLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;
const VALID_PURPOSE = /^[a-z][a-z0-9_]{0,30}$/;
const PURPOSE_SEPARATOR = '__';

/** The prefix shared by every table of one dataset: `ds_<slug>_<hash8>__`. */
export function datasetTablePrefix(datasetId: string): string {
  if (datasetId.length === 0) throw new Error('A dataset id is needed to name its vector tables; got an empty string');
  const slug = datasetId
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const hash = createHash('sha256').update(datasetId, 'utf8').digest('hex').slice(0, 8);
  return `ds_${slug || 'x'}_${hash}${PURPOSE_SEPARATOR}`;
}

/**
 * The table holding one dataset's vectors for one purpose, e.g. `vectorTableName('my data/v1', 'dedup')`
 * → `ds_my-data-v1_1a2b3c4d__dedup`. `purpose` is a short lowercase word such as `chunks` or `dedup`.
 */
export function vectorTableName(datasetId: string, purpose: string): string {
  if (!VALID_PURPOSE.test(purpose)) {
    throw new Error(`Vector table purpose "${purpose}" must be a short lowercase word (a-z, 0-9, _), e.g. "chunks" or "dedup"`);
  }
  return `${datasetTablePrefix(datasetId)}${purpose}`;
}

/** Throws a message naming the table and the fix when a name is not a valid LanceDB table name. */
export function assertValidTableName(name: string): void {
  if (!VALID_TABLE_NAME.test(name)) {
    throw new Error(
      `"${name}" is not a valid vector table name (letters, digits, '_', '-', '.', at most 200 characters); build names with vectorTableName(datasetId, purpose)`,
    );
  }
}

/** The table of a dataset's chunk vectors, written by ingest and searched by `datacreek search`. */
export const chunkTableName = (datasetId: string) => `chunks${PURPOSE_SEPARATOR}${datasetId}`;
/** The table of a dataset's accepted-record vectors, written by the build for semantic dedup. */
export const recordTableName = (datasetId: string) => `records${PURPOSE_SEPARATOR}${datasetId}`;
/**
 * Candidates' vectors between processing (which embeds them) and acceptance (which may run on another worker);
 * dropped when the build ends. Beside the record table, so it belongs to the dataset.
 */
export const candidateVectorTableName = (datasetId: string) => `${recordTableName(datasetId)}${PURPOSE_SEPARATOR}candidates`;

/**
 * Whether `tableName` is one of `datasetId`'s tables, in either form (and any `<base>__<more>` table beside a
 * chunk or record table). A longer id that merely starts the same (`<id>-2`) is spared.
 */
export function belongsToDataset(tableName: string, datasetId: string): boolean {
  if (tableName.startsWith(datasetTablePrefix(datasetId))) return true;
  return [chunkTableName(datasetId), recordTableName(datasetId)].some((base) => tableName === base || tableName.startsWith(`${base}${PURPOSE_SEPARATOR}`));
}
