// Makes a configurable share of generated items repeat earlier ones, so that exact, near-duplicate
// (MinHash) and semantic (embedding) dedup each have work. Which items are replaced, and by what,
// follows from hashes of the items and the order of earlier answers, never from chance.
import type { DuplicateRates } from './options';
import { hash32, unitHash } from './text-tools';

export type DuplicateKind = 'exact' | 'near' | 'semantic';

type Item = Record<string, unknown>;

const HISTORY_LIMIT = 2000;

/** Word swaps that keep the meaning; near duplicates use them. */
const SWAPS: Record<string, string> = {
  the: 'this',
  this: 'the',
  is: 'remains',
  are: 'remain',
  what: 'which',
  does: 'do',
  text: 'passage',
  passage: 'text',
  about: 'regarding',
  describes: 'explains',
  says: 'states',
  and: 'as well as',
};

export class DuplicateInjector {
  private readonly history = new Map<string, string[]>();
  readonly injected: Record<DuplicateKind, number> = { exact: 0, near: 0, semantic: 0 };

  /** Returns the items to answer with: most as given, some replaced by (altered) copies of earlier items of the same task. */
  apply(task: string, items: Item[], rates: DuplicateRates): Item[] {
    const history = this.history.get(task) ?? [];
    this.history.set(task, history);
    return items.map((item) => {
      const serialized = JSON.stringify(item);
      const roll = unitHash(serialized, 101);
      let result = item;
      if (history.length > 0 && roll < rates.exact + rates.near + rates.semantic) {
        const earlier = JSON.parse(history[hash32(serialized, 202) % history.length]) as Item;
        const kind: DuplicateKind = roll < rates.exact ? 'exact' : roll < rates.exact + rates.near ? 'near' : 'semantic';
        result = kind === 'exact' ? earlier : mapStrings(earlier, kind === 'near' ? nearVariant : semanticVariant);
        this.injected[kind]++;
      }
      history.push(JSON.stringify(result));
      if (history.length > HISTORY_LIMIT) history.shift();
      return result;
    });
  }

  reset(): void {
    this.history.clear();
    this.injected.exact = this.injected.near = this.injected.semantic = 0;
  }
}

/** Two words changed: still above a typical MinHash Jaccard threshold for sentences of 15+ words. */
export function nearVariant(text: string): string {
  const tokens = text.split(' ');
  let changed = 0;
  for (let i = 0; i < tokens.length && changed < 2; i++) {
    const swap = SWAPS[tokens[i].toLowerCase()];
    if (swap) {
      tokens[i] = swap;
      changed++;
    }
  }
  if (changed === 0 && tokens.length > 3) tokens.splice(tokens.length - 1, 0, 'indeed');
  return tokens.join(' ');
}

/**
 * The same words in another order (halves swapped, each read backwards) behind a framing phrase:
 * hardly a word-shingle survives, so MinHash misses it, while the bag of words, and so the
 * embedding, stays almost the same. Without a model that is the only "same meaning" on offer.
 */
export function semanticVariant(text: string): string {
  const body = text.replace(/[.?!]+$/, '');
  const ending = text.slice(body.length) || '.';
  const tokens = body.split(' ');
  if (tokens.length < 4) return `Put simply, ${body}${ending}`;
  const cut = Math.floor(tokens.length / 2);
  return `Put simply, ${[...tokens.slice(cut).reverse(), ...tokens.slice(0, cut).reverse()].join(' ')}${ending}`;
}

function mapStrings(item: Item, transform: (text: string) => string): Item {
  const visit = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') return key === 'role' || key === 'type' ? value : transform(value);
    if (Array.isArray(value)) return value.map((inner) => visit(inner));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([innerKey, inner]) => [innerKey, visit(inner, innerKey)]));
    }
    return value;
  };
  return visit(item) as Item;
}
