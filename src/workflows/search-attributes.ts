// Typed search attributes (registered on the dev server by src/infra/services/temporal-dev-server.ts and in
// docker-compose): find a dataset's runs with `temporal workflow list --query "DatasetId='…'"`.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DATASET_ID = defineSearchAttributeKey('DatasetId', SearchAttributeType.KEYWORD);
export const OWNER = defineSearchAttributeKey('Owner', SearchAttributeType.KEYWORD);
export const STAGE = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
export const ACCEPTED = defineSearchAttributeKey('Accepted', SearchAttributeType.INT);
