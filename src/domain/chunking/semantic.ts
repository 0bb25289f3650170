// Semantic chunking: embed every sentence, and start a new chunk where the cosine similarity of two
// consecutive sentences falls more than `similarityDrop` below the document's typical (median)
// similarity of neighbours, i.e. where the topic changes. Chunks still respect `chunkSize`.
import { characterMeasure } from './measure';
import { splitSentences } from './sentences';
import type { Span } from './types';
import { splitIntoWindows } from './window-splitter';

export interface SemanticOptions {
  chunkSize: number;
  similarityDrop: number;
  embed: (texts: string[]) => Promise<number[][]>;
  embedBatchSize: number;
}

export async function semanticSpans(text: string, options: SemanticOptions): Promise<Span[]> {
  const sentences = splitSentences(text, Math.min(1000, options.chunkSize));
  if (sentences.length <= 1) return splitIntoWindows(text, { size: options.chunkSize, overlap: 0, measure: characterMeasure });
  const vectors = await embedAll(
    sentences.map((span) => text.slice(span.start, span.end)),
    options,
  );
  const similarities = sentences.slice(1).map((_, i) => cosineSimilarity(vectors[i], vectors[i + 1]));
  const typical = median(similarities);

  const spans: Span[] = [];
  let groupStart = 0;
  const closeGroup = (lastSentence: number) => {
    const span = { start: sentences[groupStart].start, end: sentences[lastSentence].end };
    // A single sentence longer than the limit is cut like basic chunking would cut it.
    if (span.end - span.start > options.chunkSize)
      spans.push(...splitIntoWindows(text, { size: options.chunkSize, overlap: 0, measure: characterMeasure }, span.start, span.end));
    else spans.push(span);
  };
  for (let i = 1; i < sentences.length; i++) {
    const topicChanges = typical - similarities[i - 1] > options.similarityDrop;
    const wouldOverflow = sentences[i].end - sentences[groupStart].start > options.chunkSize;
    if (topicChanges || wouldOverflow) {
      closeGroup(i - 1);
      groupStart = i;
    }
  }
  closeGroup(sentences.length - 1);
  return spans;
}

async function embedAll(texts: string[], options: SemanticOptions): Promise<number[][]> {
  const vectors: number[][] = [];
  for (let i = 0; i < texts.length; i += options.embedBatchSize) {
    const batch = texts.slice(i, i + options.embedBatchSize);
    const embedded = await options.embed(batch);
    if (!Array.isArray(embedded) || embedded.length !== batch.length) {
      throw new Error(
        `semantic chunking: embed() returned ${Array.isArray(embedded) ? embedded.length : 'no'} vectors for ${batch.length} texts; it must return one vector per text, in order`,
      );
    }
    vectors.push(...embedded);
  }
  return vectors;
}

export function cosineSimilarity(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error(`semantic chunking: embedding sizes differ (${a.length} vs ${b.length})`);
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    normA += a[i] * a[i];
    normB += b[i] * b[i];
  }
  // A zero vector (e.g. a sentence of stop words in a bag-of-words model) is unlike everything.
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
