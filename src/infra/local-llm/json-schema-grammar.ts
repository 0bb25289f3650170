// Translates the JSON Schema of a `response_format` into the subset node-llama-cpp turns into a grammar
// (GbnfJsonSchema), so the local model's output is valid JSON of the requested shape by construction.
// The translation is faithful or refused: where a schema says something the subset cannot (an "any"
// value, allOf, a recursive root reference), the caller falls back to the generic JSON grammar, which
// still guarantees parseable JSON while zod, on the client, checks the shape.
import type { GbnfJsonSchema } from 'node-llama-cpp';

export type GrammarSchemaResult = { ok: true; schema: GbnfJsonSchema } | { ok: false; reason: string };

/** Integer ranges up to this many values become an enum, so bounds (a 1–10 score) hold by construction. */
const MAX_INTEGER_ENUM = 100;
const GRAMMAR_STRING_FORMATS = new Set(['date-time', 'date', 'time']);
const PRIMITIVE_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

class Unsupported extends Error {}

type Node = Record<string, unknown>;

export function toGrammarSchema(schema: unknown): GrammarSchemaResult {
  try {
    return { ok: true, schema: convert(schema, '$') as unknown as GbnfJsonSchema };
  } catch (error) {
    if (error instanceof Unsupported) return { ok: false, reason: error.message };
    throw error;
  }
}

function convert(value: unknown, path: string): Node {
  if (value === true || (isNode(value) && Object.keys(value).every((key) => IGNORED_KEYWORDS.has(key)))) {
    throw new Unsupported(`${path} allows any value`);
  }
  if (!isNode(value)) throw new Unsupported(`${path} is not a schema object`);
  const node = value;
  const out: Node = {};
  const defs = node.$defs ?? node.definitions;
  if (defs !== undefined) {
    if (!isNode(defs)) throw new Unsupported(`${path}.$defs is not an object`);
    out.$defs = Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, convert(def, `${path}.$defs.${name}`)]));
  }
  return { ...convertBody(node, path), ...out };
}

function convertBody(node: Node, path: string): Node {
  if (typeof node.$ref === 'string') return { $ref: convertRef(node.$ref, path) };
  if ('const' in node) return { const: primitive(node.const, `${path}.const`) };
  if (Array.isArray(node.enum)) return { enum: node.enum.map((item, index) => primitive(item, `${path}.enum[${index}]`)) };
  const alternatives = node.anyOf ?? node.oneOf;
  if (Array.isArray(alternatives)) {
    return { oneOf: alternatives.map((alternative, index) => convert(alternative, `${path}.anyOf[${index}]`)) };
  }
  if (Array.isArray(node.allOf)) {
    if (node.allOf.length === 1) return convert(node.allOf[0], `${path}.allOf[0]`);
    throw new Unsupported(`${path} uses allOf`);
  }
  if (Array.isArray(node.type)) {
    const types = node.type as unknown[];
    if (types.every((type) => typeof type === 'string' && PRIMITIVE_TYPES.has(type)) && !types.includes('integer')) {
      return { type: types };
    }
    return { oneOf: types.map((type, index) => convertBody({ ...node, type }, `${path}.type[${index}]`)) };
  }
  const type = node.type ?? (node.properties || node.additionalProperties ? 'object' : node.items || node.prefixItems ? 'array' : undefined);
  switch (type) {
    case 'object':
      return convertObject(node, path);
    case 'array':
      return convertArray(node, path);
    case 'string':
      return convertString(node);
    case 'integer':
      return convertInteger(node, path);
    case 'number':
    case 'boolean':
    case 'null':
      return { type };
    default:
      throw new Unsupported(`${path} has no type the grammar can express (${JSON.stringify(type ?? null)})`);
  }
}

function convertObject(node: Node, path: string): Node {
  const out: Node = { type: 'object' };
  const properties = isNode(node.properties) ? node.properties : {};
  out.properties = Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, convert(schema, `${path}.properties.${name}`)]));
  const additional = node.additionalProperties;
  const hasProperties = Object.keys(properties).length > 0;
  if (isNode(additional) && Object.keys(additional).length > 0) {
    out.additionalProperties = convert(additional, `${path}.additionalProperties`);
  } else if (additional === true || (!hasProperties && additional !== false)) {
    // An object without declared properties is a free-form map in JSON Schema.
    out.additionalProperties = true;
  }
  // The grammar writes every declared property (node-llama-cpp makes them all required): stricter than the
  // schema where some are optional, and still valid for it.
  out.required = Object.keys(properties);
  if (typeof node.minProperties === 'number') out.minProperties = node.minProperties;
  if (typeof node.maxProperties === 'number') out.maxProperties = node.maxProperties;
  return out;
}

function convertArray(node: Node, path: string): Node {
  const out: Node = { type: 'array' };
  if (Array.isArray(node.prefixItems)) {
    out.prefixItems = node.prefixItems.map((item, index) => convert(item, `${path}.prefixItems[${index}]`));
  }
  if (node.items !== undefined && node.items !== false) out.items = convert(node.items, `${path}.items`);
  else if (out.prefixItems === undefined) throw new Unsupported(`${path} is an array of any values`);
  if (typeof node.minItems === 'number') out.minItems = node.minItems;
  if (typeof node.maxItems === 'number') out.maxItems = node.maxItems;
  return out;
}

function convertString(node: Node): Node {
  if (typeof node.format === 'string' && GRAMMAR_STRING_FORMATS.has(node.format)) return { type: 'string', format: node.format };
  const out: Node = { type: 'string' };
  if (typeof node.minLength === 'number') out.minLength = node.minLength;
  if (typeof node.maxLength === 'number') out.maxLength = node.maxLength;
  return out;
}

function convertInteger(node: Node, path: string): Node {
  const low = lowerBound(node);
  const high = upperBound(node);
  if (low !== undefined && high !== undefined) {
    if (high < low) throw new Unsupported(`${path} has no integer between its bounds ${low} and ${high}`);
    if (high - low + 1 <= MAX_INTEGER_ENUM) return { enum: Array.from({ length: high - low + 1 }, (_, index) => low + index) };
  }
  return { type: 'integer' };
}

function lowerBound(node: Node): number | undefined {
  if (typeof node.exclusiveMinimum === 'number') return Math.floor(node.exclusiveMinimum) + 1;
  if (typeof node.minimum === 'number') return Math.ceil(node.minimum);
  return undefined;
}

function upperBound(node: Node): number | undefined {
  if (typeof node.exclusiveMaximum === 'number') return Math.ceil(node.exclusiveMaximum) - 1;
  if (typeof node.maximum === 'number') return Math.floor(node.maximum);
  return undefined;
}

function convertRef(ref: string, path: string): string {
  for (const prefix of ['#/$defs/', '#/definitions/']) {
    if (ref.startsWith(prefix) && ref.length > prefix.length && !ref.slice(prefix.length).includes('/')) {
      return `#/$defs/${ref.slice(prefix.length)}`;
    }
  }
  throw new Unsupported(`${path} refers to ${ref}; only #/$defs/<name> references can be expressed`);
}

function primitive(value: unknown, path: string): string | number | boolean | null {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new Unsupported(`${path} is an object or array literal`);
}

/** Keywords that carry no constraint the grammar could enforce. */
const IGNORED_KEYWORDS = new Set(['$schema', '$id', 'title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', '$comment']);

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
