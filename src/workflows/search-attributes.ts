// Typed search attributes (registered on the dev server by src/infra/services/temporal-dev-server.ts and in
// docker-compose): find a dataset's runs with `temporal workflow list --query "DatasetId='…'"`.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';

export const DATASET_ID = defineSearchAttributeKey('DatasetId', SearchAttributeType.KEYWORD);
export const OWNER = defineSearchAttributeKey('Owner', SearchAttributeType.KEYWORD);
export const STAGE = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
export const ACCEPTED = defineSearchAttributeKey('Accepted', SearchAttributeType.INT);

/** Tags a one-shot dataset task (ingest, curate, export) with its dataset, owner and stage, from workflow code. */
export function tagDatasetTask(input: { datasetId: string; ownerId: string }, stage: string): void {
  upsertSearchAttributes([
    { key: DATASET_ID, value: input.datasetId },
    { key: OWNER, value: input.ownerId },
    { key: STAGE, value: stage },
  ]);
}
