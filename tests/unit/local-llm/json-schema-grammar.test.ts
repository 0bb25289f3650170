// The response_format → grammar schema translation: faithful where the grammar can say it, refused
// (so the server falls back to generic JSON) where it cannot. Pure: no model needed.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { itemsJsonSchema } from '../../../src/domain/generation/answer-schemas';
import { toEndpointJsonSchema } from '../../../src/infra/llm/structured-output';
import { toGrammarSchema } from '../../../src/infra/local-llm/json-schema-grammar';

function translated(schema: unknown): Record<string, unknown> {
  const result = toGrammarSchema(schema);
  if (!result.ok) throw new Error(`expected a translation, got: ${result.reason}`);
  return result.schema as Record<string, unknown>;
}

describe('toGrammarSchema', () => {
  it('translates the QA items schema datacreek sends, keeping every field', () => {
    expect(translated(itemsJsonSchema('qa'))).toEqual({
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: { question: { type: 'string' }, answer: { type: 'string' } },
            required: ['question', 'answer'],
          },
          // At least one item, so a grammar-constrained model cannot settle for an empty list.
          minItems: 1,
        },
      },
      required: ['items'],
    });
  });

  it('turns a bounded integer into an enum, so a 1–10 score holds by construction', () => {
    const schema = toEndpointJsonSchema(z.object({ rating: z.number().int().min(1).max(10) }));
    expect(translated(schema)).toMatchObject({ properties: { rating: { enum: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } } });
    expect(translated({ type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 4 })).toEqual({ enum: [1, 2, 3] });
    // A wide range stays a plain integer rather than a huge alternation.
    expect(translated({ type: 'integer', minimum: 0, maximum: 1_000_000 })).toEqual({ type: 'integer' });
  });

  it('keeps string bounds and array bounds, which the grammar enforces', () => {
    expect(translated({ type: 'array', items: { type: 'string', minLength: 1, maxLength: 80 }, minItems: 1, maxItems: 3 })).toEqual({
      type: 'array',
      items: { type: 'string', minLength: 1, maxLength: 80 },
      minItems: 1,
      maxItems: 3,
    });
  });

  it('maps unions, nullable fields, enums and $defs references', () => {
    const schema = toEndpointJsonSchema(
      z.object({
        role: z.enum(['user', 'assistant']),
        note: z.string().nullable(),
        kind: z.union([z.literal('a'), z.number()]),
      }),
    );
    expect(translated(schema)).toMatchObject({
      properties: {
        role: { enum: ['user', 'assistant'] },
        note: { type: ['string', 'null'] },
        kind: { oneOf: [{ const: 'a' }, { type: 'number' }] },
      },
    });
    expect(translated({ anyOf: [{ type: 'string' }, { type: 'null' }] })).toEqual({ oneOf: [{ type: 'string' }, { type: 'null' }] });
    expect(translated({ $defs: { turn: { type: 'string' } }, type: 'array', items: { $ref: '#/definitions/turn' } })).toEqual({
      $defs: { turn: { type: 'string' } },
      type: 'array',
      items: { $ref: '#/$defs/turn' },
    });
  });

  it('reads an object without declared properties as a free-form map', () => {
    expect(translated({ type: 'object' })).toEqual({ type: 'object', properties: {}, additionalProperties: true, required: [] });
    expect(translated({ type: 'object', additionalProperties: { type: 'number' } })).toMatchObject({ additionalProperties: { type: 'number' } });
  });

  it('refuses what the grammar cannot express, naming where', () => {
    const anyValue = toGrammarSchema({ type: 'object', properties: { payload: {} } });
    expect(anyValue).toEqual({ ok: false, reason: '$.properties.payload allows any value' });
    expect(toGrammarSchema({ allOf: [{ type: 'string' }, { minLength: 2 }] })).toMatchObject({ ok: false, reason: expect.stringMatching(/allOf/) });
    expect(toGrammarSchema({ type: 'array', items: { $ref: '#' } })).toMatchObject({ ok: false, reason: expect.stringMatching(/only #\/\$defs/) });
    expect(toGrammarSchema({ type: 'integer', minimum: 5, maximum: 1 })).toMatchObject({ ok: false, reason: expect.stringMatching(/no integer/) });
  });
});
