// Default toxicity scoring without a model: a weighted word and phrase list plus a few heuristics
// (insults aimed at "you", shouting). Good at profanity, slurs, threats and direct insults; blind to
// toxicity phrased politely. Configure a classifier endpoint (the `classify` dependency) for that.
//
// Score = 1 − Π(1 − wᵢ) over the hits, so one strong hit or several mild ones cross 0.5.

export interface ToxicityResult {
  score: number;
  /** The list entries that matched, for the rejection reason and the quality report. */
  terms: string[];
}

// Severe: slurs, threats, incitement to self-harm. Strong: profanity. Mild: insults that are harmless
// alone ("that was a stupid bug") but toxic when aimed at someone.
const SEVERE = 0.9;
const STRONG = 0.6;
const MILD = 0.3;
const MINOR = 0.15;

const LEXICON: Record<string, number> = Object.fromEntries([
  ...[
    'kill yourself',
    'kys',
    'go die',
    'hope you die',
    'die in a fire',
    'i will kill you',
    'i will hurt you',
    'i am going to kill you',
    'i will find you',
    'slit your throat',
    'nigger',
    'niggers',
    'faggot',
    'faggots',
    'tranny',
    'chink',
    'spic',
    'kike',
    'wetback',
    'raghead',
    'gook',
    'retard',
    'retards',
    'retarded',
  ].map((term) => [term, SEVERE]),
  ...[
    'fuck',
    'fucking',
    'fucked',
    'fucker',
    'motherfucker',
    'fck',
    'f*ck',
    'shit',
    'shitty',
    'bullshit',
    'sh*t',
    'cunt',
    'bitch',
    'bitches',
    'asshole',
    'assholes',
    'bastard',
    'dickhead',
    'pussy',
    'whore',
    'slut',
    'twat',
    'wanker',
    'douchebag',
    'piss off',
    'screw you',
    'fag',
  ].map((term) => [term, STRONG]),
  ...[
    'idiot',
    'idiots',
    'stupid',
    'moron',
    'morons',
    'dumb',
    'dumbass',
    'loser',
    'pathetic',
    'worthless',
    'imbecile',
    'jerk',
    'scum',
    'shut up',
    'i hate you',
    'useless',
    'disgusting',
    'ugly',
    'freak',
    // Everyday meanings too ("a needle's prick", "the cock crowed"): toxic mostly when aimed at someone.
    'prick',
    'cock',
  ].map((term) => [term, MILD]),
  ...['crap', 'damn', 'hell', 'sucks'].map((term) => [term, MINOR]),
]);

const LONGEST_TERM_WORDS = Math.max(...Object.keys(LEXICON).map((term) => term.split(' ').length));
/** First words of every entry: most tokens start no entry, and are skipped after one Set lookup. */
const FIRST_WORDS = new Set(Object.keys(LEXICON).map((term) => term.split(' ')[0]));
const TARGETED = /\byou(?:\s+are|'re|\s+r|\s+a|\s+an|\s+such)?(?:\s+(?:a|an|so|such|the|a\s+complete|an\s+absolute|total))?\s+$/;
const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' };

export function scoreToxicity(text: string): ToxicityResult {
  const tokens = tokenize(text);
  const terms: string[] = [];
  let keep = 1;
  for (let i = 0; i < tokens.length; i++) {
    if (!FIRST_WORDS.has(tokens[i])) continue;
    for (let length = Math.min(LONGEST_TERM_WORDS, tokens.length - i); length >= 1; length--) {
      const phrase = length === 1 ? tokens[i] : tokens.slice(i, i + length).join(' ');
      const weight = LEXICON[phrase];
      if (weight === undefined) continue;
      const before = `${tokens.slice(Math.max(0, i - 4), i).join(' ')} `;
      const targeted = weight < SEVERE && TARGETED.test(before);
      // Aiming an insult at someone is what makes it toxic: "you idiot" counts like profanity.
      const effective = targeted ? Math.min(0.95, weight + 0.4) : weight;
      keep *= 1 - effective;
      terms.push(targeted ? `you … ${phrase}` : phrase);
      i += length - 1;
      break;
    }
  }
  if (terms.length > 0 && isShouting(text)) keep *= 0.85;
  return { score: round(1 - keep), terms };
}

function tokenize(text: string): string[] {
  const words =
    text
      .toLowerCase()
      .normalize('NFKC')
      .match(/[\p{L}\p{N}@$*']+/gu) ?? [];
  return words.map((word) => {
    let token = word.replace(/^'+|'+$/g, '');
    // Leetspeak only inside words that have letters ("sh1t"), so plain numbers stay numbers.
    if (/[013457@$]/.test(token) && /\p{L}/u.test(token)) token = token.replace(/[013457@$]/g, (char) => LEET[char] ?? char);
    // "fuuuuck" → "fuck": three or more repeats of a letter are one.
    return token.replace(/(\p{L})\1{2,}/gu, '$1');
  });
}

function isShouting(text: string): boolean {
  const letters = text.match(/\p{L}/gu) ?? [];
  if (letters.length < 20) return false;
  const upper = letters.filter((letter) => letter !== letter.toLowerCase()).length;
  return upper / letters.length >= 0.6;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
