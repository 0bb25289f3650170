// Reading a source chunk the way grounded generation and its cheap check need it: the sentences an answer
// may be (each one a verbatim piece of the chunk), the key terms a question may be about, and the two tests
// the check runs (is this answer in the source? does this question name a term of it?). No model involved.

/** Sentences shorter or longer than this make poor answers: fragments of tables, or whole paragraphs. */
const MIN_SENTENCE_CHARS = 30;
const MAX_SENTENCE_CHARS = 260;
/** Enough choice for a handful of items per chunk, and a grammar that stays small. */
const MAX_SENTENCES = 40;
const MAX_TERMS = 30;

// Common words that say nothing about what a text is about: a question built only from these names no term
// of the source ("What is it?").
const STOPWORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him himself ' +
    'his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ' +
    'ourselves out over own same she should so some such than that the their theirs them themselves then there these they this ' +
    'those through to too under until up very was we were what when where which while who whom why will with would you your ' +
    'yours yourself yourselves many much made make one two first new like well also according after became become'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Lower-case, whitespace collapsed: how "verbatim" is compared (PDF and Markdown text space words freely). */
export function squeezeText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Whether `passage` occurs in `source` word for word (case and runs of whitespace aside). */
export function appearsVerbatim(passage: string, source: string): boolean {
  const needle = squeezeText(passage);
  return needle.length > 0 && squeezeText(source).includes(needle);
}

/** The words of a text that carry meaning: not stopwords, at least 3 characters or a number. */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).filter((word) => !STOPWORDS.has(word) && (word.length >= 3 || /\d/.test(word)));
}

/** The content words of `question` that also occur in `source`, in order of first use. */
export function sharedTerms(question: string, source: string): string[] {
  const sourceWords = new Set(contentWords(source));
  return [...new Set(contentWords(question))].filter((word) => sourceWords.has(word));
}

/**
 * The chunk's sentences that can stand alone as answers, each a verbatim piece of the chunk (whitespace
 * collapsed). Citation markers like `[12]` end a sentence, headings, comments and table cells are skipped,
 * and so is anything that does not read as a sentence (no closing full stop, too short, too long).
 */
export function answerSentences(text: string): string[] {
  const sentences: string[] = [];
  const seen = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const paragraph = block
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    if (paragraph === '' || paragraph.startsWith('#') || paragraph.startsWith('|')) continue;
    for (const piece of paragraph.split(/\s*(?:\[\d+\])+\s*|(?<=[.!?])\s+(?=["'(\p{Lu}\d])/u)) {
      const sentence = piece.trim();
      if (sentence.length < MIN_SENTENCE_CHARS || sentence.length > MAX_SENTENCE_CHARS) continue;
      if (!/^["'(\p{Lu}\d]/u.test(sentence) || !/[.!?]["')]?$/.test(sentence)) continue;
      // Markup debris, references (URLs, "Retrieved …") and text a parser garbled are no answers.
      if (/GLYPH|[<>{}|\\]|https?:|:\/\/|\.com\b|^(Retrieved|Archived)\b/.test(sentence) || contentWords(sentence).length < 4 || sentence.split(' ').length < 6)
        continue;
      const key = squeezeText(sentence);
      if (seen.has(key)) continue;
      seen.add(key);
      sentences.push(sentence);
      if (sentences.length === MAX_SENTENCES) return sentences;
    }
  }
  return sentences;
}

/**
 * What the chunk is about, as short phrases a question can name, taken from its answer sentences: runs of
 * capitalised words ("Khao Kheow Open Zoo", "Moo Deng") and the longer content words. Most frequent first,
 * one spelling per term.
 */
export function keyTerms(text: string, sentences = answerSentences(text)): string[] {
  const counts = new Map<string, { term: string; count: number }>();
  const add = (term: string) => {
    const key = term.toLowerCase();
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { term, count: 1 });
  };
  for (const sentence of sentences) {
    for (const match of sentence.matchAll(/\p{Lu}[\p{L}'’-]+(?:\s+(?:of\s+|the\s+)?\p{Lu}[\p{L}'’-]+)*/gu)) {
      const phrase = match[0].replace(/['’]s$/, '');
      // A single capitalised word opening the sentence is only the sentence's first word.
      if (match.index === 0 && !phrase.includes(' ')) continue;
      if (!STOPWORDS.has(phrase.toLowerCase()) && phrase.length >= 3) add(phrase);
    }
  }
  for (const sentence of sentences) for (const word of contentWords(sentence)) if (word.length >= 5 && !/\d/.test(word)) add(word);
  return [...counts.values()]
    .sort((a, b) => b.count - a.count || b.term.length - a.term.length)
    .slice(0, MAX_TERMS)
    .map((entry) => entry.term);
}
