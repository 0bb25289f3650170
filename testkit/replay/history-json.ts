// History ⇄ proto-JSON (the format of `temporal workflow show --output json` and Temporal's other tools).
// @temporalio/common's historyToJSON / historyFromJSON fail here with "type must be a Type": npm gives
// @temporalio/common and @temporalio/proto separate nested copies of protobufjs 8 (the top level holds the
// protobufjs 7 that @grpc/proto-loader needs), and protojson checks `instanceof Type` against its own copy while
// the History type was built by the other. These do the same conversion with the protobufjs copy that built the
// types, found from @temporalio/proto's own location, so they work whether or not npm dedupes the copies.
import { createRequire } from 'node:module';
import type * as proto from '@temporalio/proto';

export type History = proto.temporal.api.history.v1.IHistory;

type ProtoJson = {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
};

const requireFromHere = createRequire(import.meta.url);
// The CommonJS export itself (an ESM namespace import would hide the root's reflection methods).
const root = requireFromHere('@temporalio/proto') as typeof proto & { lookupType(name: string): unknown };
const protojson = createRequire(requireFromHere.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
const historyType = root.lookupType('temporal.api.history.v1.History');

/** A fetched history as a plain proto-JSON object (int64 as strings, enums by name, payloads base64). */
export function historyToJson(history: History): unknown {
  return protojson.toJson(historyType, root.temporal.api.history.v1.History.fromObject(history));
}

/** The inverse of historyToJson; fields a newer server added are ignored rather than refused. */
export function historyFromJson(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('expected a history object with an "events" array');
  }
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a valid history');
  return history as History;
}
