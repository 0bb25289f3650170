// Layering settings (defaults → file → environment → per-call overrides) is a deep merge; this is the only one.

type Plain = Record<string, unknown>;

export const isPlainObject = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `override` laid over `base`: objects merge key by key, anything else (arrays included) replaces, and an
 * `undefined` in `override` leaves the base value alone. Neither argument is changed.
 */
export function mergeDeep(base: Plain, override: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? mergeDeep(out[key] as Plain, value) : value;
  }
  return out;
}
