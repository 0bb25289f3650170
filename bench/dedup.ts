// Dedup benchmark: a synthetic accepted set (default 100k records, 384-dim clustered embeddings and
// texts) and a stream of new records with planted exact, near and semantic duplicates plus hard
// negatives (same topic, similar but below threshold). Measures records/s per step, recall and precision
// of the planted duplicates, peak RSS, and prints ratios to the targets rather than pass/fail.
//
//   npx tsx bench/dedup.ts                  # 100k accepted
//   npx tsx bench/dedup.ts --records 20000  # quicker
//   npx tsx bench/dedup.ts --lance-sample 200   # also time LanceDB flat search on 200 queries
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deduplicator, type DedupCandidate } from '../src/domain/dedup/deduplicator';
import { seededGaussian, seededRandom } from '../src/infra/common/seeded-random';
import { AcceptedBandIndex, bestNearMatch } from '../src/domain/dedup/accepted-band-index';
import { signature } from '../src/domain/dedup/minhash';
import { textHash } from '../src/domain/dedup/normalize';
import { VECTOR_MAINTENANCE_EVERY, writeAcceptedVectors } from '../src/activities/accepted-vectors';
import { openVectorStore } from '../src/infra/vectors/store';
import { recordTableName } from '../src/infra/vectors/table-names';

/** The dataset whose accepted-vector table the LanceDB path fills, as acceptance names it. */
const BENCH_DATASET = 'bench';

export interface DedupBenchOptions {
  /** Accepted records already in the dataset. */
  records?: number;
  /** Fresh (non-duplicate) new records checked against them. */
  fresh?: number;
  /** Planted duplicates, split evenly between exact, near and semantic. */
  planted?: number;
  /** Fresh records made deliberately similar to an accepted one but below the thresholds. */
  hardNegatives?: number;
  dims?: number;
  batchSize?: number;
  /** Also time LanceDB flat search for this many queries against the accepted set (0: skip). */
  lanceSample?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface DedupBenchResult {
  accepted: number;
  checked: number;
  /** Wall-clock rates; `cpuShare` is the fraction of wall time the process was on a core. */
  recordsPerSecond: { exact: number; minhash: number; semantic: number; overall: number };
  cpuShare: number;
  loadSeconds: { hashes: number; minhash: number; vectors: number };
  recall: number;
  precision: number;
  recallByKind: Record<PlantedKind, number>;
  peakRssMb: number;
  lanceQueriesPerSecond?: number;
  /** The path builds take: accepted vectors in LanceDB (IVF index), exact/MinHash in memory, no vectors in memory. */
  lancePath: LancePathResult;
}

export interface LancePathResult {
  /** Accepted vectors written to LanceDB in batches of 10k, and the IVF index build. */
  vectorWriteRowsPerSecond: number;
  indexSeconds: number;
  recordsPerSecond: number;
  recall: number;
  precision: number;
  recallByKind: Record<PlantedKind, number>;
  /** RSS growth while checking the stream (MB). */
  rssGrowthMb: number;
}

type PlantedKind = 'exact' | 'near' | 'semantic';

interface StreamItem {
  candidate: DedupCandidate;
  /** Set for planted duplicates: what kind, and of which record. */
  planted?: { kind: PlantedKind; of: string };
}

const TARGET_SEMANTIC_RPS = 5000;
const TARGET_RECALL = 0.95;
const TARGET_PRECISION = 0.95;

export async function runDedupBench(options: DedupBenchOptions = {}): Promise<DedupBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const accepted = options.records ?? 100_000;
  const freshCount = options.fresh ?? 8_000;
  const planted = options.planted ?? 2_000;
  const hardNegatives = options.hardNegatives ?? 1_000;
  const dims = options.dims ?? 384;
  const batchSize = options.batchSize ?? 500;
  const data = new SyntheticData(dims, options.seed ?? 7);
  let peakRss = process.memoryUsage().rss;
  const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

  log(
    `dedup bench: ${accepted} accepted × ${dims} dims; ${freshCount} fresh + ${planted} planted duplicates + ${hardNegatives} hard negatives, batches of ${batchSize}`,
  );
  let started = performance.now();
  const acceptedRecords = Array.from({ length: accepted }, (_, i) => data.record(`a${i}`));
  log(`  synthesized accepted set in ${seconds(started)} s`);

  // What the build loop stores per accepted record: content hash and MinHash signature (PostgreSQL), vector (LanceDB).
  started = performance.now();
  const hashes = acceptedRecords.map((r) => textHash(r.text));
  const hashSeconds = seconds(started);
  started = performance.now();
  const signatures = acceptedRecords.map((r) => signature(r.text));
  const minhashSeconds = seconds(started);
  sampleRss();

  const dedup = await Deduplicator.open({});
  started = performance.now();
  dedup.addAccepted(acceptedRecords.map((r, i) => ({ id: r.id, contentHash: hashes[i], minhash: signatures[i], vector: r.vector })));
  // The semantic hash tables are built lazily at the first query: include that in the load time.
  dedup.check([{ id: '__warmup__', text: 'warm up', vector: data.record('__warmup__').vector }]);
  dedup.accept([]);
  const vectorSeconds = seconds(started);
  sampleRss();
  log(
    `  accepted-set load: content hashes ${hashSeconds} s, MinHash signatures ${minhashSeconds} s (${perSecond(accepted, minhashSeconds)} docs/s), index build ${vectorSeconds} s`,
  );

  const stream = buildStream(data, acceptedRecords, freshCount, planted, hardNegatives, options.seed ?? 7);
  const before = dedup.stats;
  const flagged = new Map<string, string>();
  const cpuBefore = process.cpuUsage();
  started = performance.now();
  for (let start = 0; start < stream.length; start += batchSize) {
    const batch = stream.slice(start, start + batchSize);
    const verdicts = dedup.check(batch.map((item) => item.candidate));
    for (const verdict of verdicts) if (verdict.duplicateOf !== null) flagged.set(verdict.id, verdict.duplicateOf);
    dedup.accept(verdicts.filter((v) => v.duplicateOf === null).map((v) => v.id));
    sampleRss();
  }
  const totalSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // On a shared machine wall time includes waiting for a core; CPU time does not. Per-step timings are
  // wall clock, so also show them scaled by this run's CPU/wall ratio.
  const cpuShare = Math.min(1, cpuSeconds / totalSeconds);
  const after = dedup.stats;

  const { recall, precision, recallByKind, truePositives } = scoreFlags(stream, flagged);

  const checked = after.checked - before.checked;
  const stepSeconds = {
    exact: (after.millis.exact - before.millis.exact) / 1000,
    minhash: (after.millis.minhash - before.millis.minhash) / 1000,
    semantic: (after.millis.semantic - before.millis.semantic) / 1000,
  };
  // Each step only sees what the steps before it did not flag.
  const reachedMinhash = checked - (after.duplicates.exact_duplicate - before.duplicates.exact_duplicate);
  const reachedSemantic = reachedMinhash - (after.duplicates.near_duplicate - before.duplicates.near_duplicate);
  const recordsPerSecond = {
    exact: Math.round(checked / stepSeconds.exact),
    minhash: Math.round(reachedMinhash / stepSeconds.minhash),
    semantic: Math.round(reachedSemantic / stepSeconds.semantic),
    overall: Math.round(stream.length / totalSeconds),
  };

  const onCpu = (rate: number) => Math.round(rate / cpuShare);
  log(
    `  checked ${checked} records in ${totalSeconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU (check + accept, all steps): ${recordsPerSecond.overall} records/s wall`,
  );
  log(`  (this process had a core ${(cpuShare * 100).toFixed(0)}% of the wall time; "per CPU" rates divide that out)`);
  log(`  exact     ${recordsPerSecond.exact} records/s wall, ~${onCpu(recordsPerSecond.exact)} per CPU`);
  log(`  minhash   ${recordsPerSecond.minhash} records/s wall, ~${onCpu(recordsPerSecond.minhash)} per CPU (signature + LSH query over ${accepted}+ accepted)`);
  log(
    `  semantic  ${recordsPerSecond.semantic} records/s wall, ~${onCpu(recordsPerSecond.semantic)} per CPU → ${(recordsPerSecond.semantic / TARGET_SEMANTIC_RPS).toFixed(2)}× (wall) / ${(onCpu(recordsPerSecond.semantic) / TARGET_SEMANTIC_RPS).toFixed(2)}× (CPU) the ${TARGET_SEMANTIC_RPS} records/s target`,
  );
  log(
    `  recall    ${recall.toFixed(4)} (exact ${recallByKind.exact.toFixed(3)}, near ${recallByKind.near.toFixed(3)}, semantic ${recallByKind.semantic.toFixed(3)}) → ${(recall / TARGET_RECALL).toFixed(3)}× target ${TARGET_RECALL}`,
  );
  log(
    `  precision ${precision.toFixed(4)} (${flagged.size - truePositives} false positives of ${flagged.size} flagged) → ${(precision / TARGET_PRECISION).toFixed(3)}× target ${TARGET_PRECISION}`,
  );

  let lanceQueriesPerSecond: number | undefined;
  if (options.lanceSample && options.lanceSample > 0) {
    lanceQueriesPerSecond = await timeLanceSearch(acceptedRecords, options.lanceSample, log);
    sampleRss();
  }
  const peakRssMb = Math.round(peakRss / 1024 / 1024);
  log(`  peak RSS  ${peakRssMb} MB`);
  const lancePath = await runLancePath(acceptedRecords, hashes, signatures, stream, batchSize, log);
  return {
    accepted,
    checked,
    recordsPerSecond,
    cpuShare,
    loadSeconds: { hashes: Number(hashSeconds), minhash: Number(minhashSeconds), vectors: Number(vectorSeconds) },
    recall,
    precision,
    recallByKind,
    peakRssMb,
    lancePath,
    ...(lanceQueriesPerSecond !== undefined ? { lanceQueriesPerSecond } : {}),
  };
}

/** Recall and precision of the planted duplicates, overall and per kind. */
function scoreFlags(stream: StreamItem[], flagged: Map<string, string>) {
  const plantedItems = stream.filter((item) => item.planted);
  const found = plantedItems.filter((item) => flagged.has(item.candidate.id));
  const recallByKind = Object.fromEntries(
    (['exact', 'near', 'semantic'] as const).map((kind) => {
      const ofKind = plantedItems.filter((item) => item.planted!.kind === kind);
      return [kind, ofKind.filter((item) => flagged.has(item.candidate.id)).length / Math.max(1, ofKind.length)];
    }),
  ) as Record<PlantedKind, number>;
  const plantedIds = new Set(plantedItems.map((item) => item.candidate.id));
  const truePositives = [...flagged.keys()].filter((id) => plantedIds.has(id)).length;
  const recall = found.length / Math.max(1, plantedItems.length);
  const precision = flagged.size === 0 ? 1 : truePositives / flagged.size;
  return { recall, precision, recallByKind, truePositives };
}

/**
 * The path acceptance takes: the accepted vectors in a LanceDB table with its IVF index, one search per
 * candidate (bounded concurrency), the candidates compared with each other in memory, and each batch's accepted
 * vectors written back to the table. Exact and near duplicates are looked up as acceptance looks them up (here in
 * memory, standing in for PostgreSQL): by hash, and through the band index confirmed on stored signatures.
 */
async function runLancePath(
  records: { id: string; text: string; vector: Float32Array }[],
  hashes: string[],
  signatures: Uint32Array[],
  stream: StreamItem[],
  batchSize: number,
  log: (line: string) => void,
): Promise<LancePathResult> {
  const dir = mkdtempSync(join(tmpdir(), 'datacreek-bench-lance-path-'));
  const store = await openVectorStore(dir);
  const table = recordTableName(BENCH_DATASET);
  try {
    let started = performance.now();
    for (let start = 0; start < records.length; start += 10_000) {
      await store.upsert(
        table,
        records.slice(start, start + 10_000).map((r) => ({ id: r.id, vector: r.vector, text: r.text })),
      );
    }
    const vectorWriteRowsPerSecond = Math.round(records.length / ((performance.now() - started) / 1000));
    started = performance.now();
    await store.maintain(table, { indexAtRows: 1 });
    const indexSeconds = (performance.now() - started) / 1000;
    log(`  LanceDB path: accepted vectors written at ${vectorWriteRowsPerSecond} rows/s (batches of 10k), IVF index built in ${indexSeconds.toFixed(1)} s`);

    // As acceptance looks the accepted set up: exact hashes by value (PostgreSQL's unique index there), near
    // duplicates through the band index confirmed on the stored signatures (read from PostgreSQL there).
    const dedup = await Deduplicator.open({ acceptedSet: 'caller' });
    const { minhash } = dedup.settings;
    const acceptedByHash = new Map(records.map((r, i) => [hashes[i], r.id]));
    const acceptedBySeq: { id: string; minhash: Uint32Array }[] = [];
    const bands = new AcceptedBandIndex({ numPerm: minhash.numPerm, bands: minhash.bands, expectedItems: records.length + stream.length });
    const acceptOne = (id: string, hash: string, sig: Uint32Array) => {
      acceptedByHash.set(hash, id);
      bands.add(acceptedBySeq.length, sig);
      acceptedBySeq.push({ id, minhash: sig });
    };
    records.forEach((r, i) => acceptOne(r.id, hashes[i], signatures[i]));
    const nearestAccepted = (sig: Uint32Array) => bestNearMatch(sig, bands.candidates(sig, minhash.threshold), (ref) => acceptedBySeq[ref], minhash.threshold);
    const threshold = dedup.settings.semantic.threshold;
    const flagged = new Map<string, string>();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let acceptedSoFar = records.length;
    started = performance.now();
    for (let start = 0; start < stream.length; start += batchSize) {
      const batch = stream.slice(start, start + batchSize).map((item) => item.candidate);
      const hits = await store.searchMany(
        table,
        batch.map((c) => c.vector!),
        4,
        { idsOnly: true },
      );
      const keyed = batch.map((c) => ({ ...c, contentHash: textHash(c.text), minhash: signature(c.text) }));
      const verdicts = dedup.check(
        keyed.map((c, i) => {
          const best = hits[i].find((h) => h.score >= threshold);
          return {
            ...c,
            acceptedExact: acceptedByHash.get(c.contentHash),
            acceptedNear: nearestAccepted(c.minhash),
            acceptedMatch: best ? { id: best.id, similarity: best.score } : undefined,
          };
        }),
      );
      for (const verdict of verdicts) if (verdict.duplicateOf !== null) flagged.set(verdict.id, verdict.duplicateOf);
      const unique = new Set(verdicts.filter((v) => v.duplicateOf === null).map((v) => v.id));
      dedup.accept([...unique]);
      for (const c of keyed) if (unique.has(c.id)) acceptOne(c.id, c.contentHash, c.minhash);
      await writeAcceptedVectors(
        store,
        BENCH_DATASET,
        batch.filter((c) => unique.has(c.id)).map((c) => ({ id: c.id, vector: c.vector!, text: c.text })),
        { firstAttempt: true },
      );
      // As acceptance does: compaction and index catch-up each time the accepted set crosses a multiple of 2,000,
      // so the unindexed tail that every search scans stays short.
      const acceptedBefore = acceptedSoFar;
      acceptedSoFar += unique.size;
      if (Math.floor(acceptedBefore / VECTOR_MAINTENANCE_EVERY) !== Math.floor(acceptedSoFar / VECTOR_MAINTENANCE_EVERY)) {
        await store.maintain(table, { indexAtRows: 1 });
      }
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    const recordsPerSecond = Math.round(stream.length / ((performance.now() - started) / 1000));
    const { recall, precision, recallByKind, truePositives } = scoreFlags(stream, flagged);
    const rssGrowthMb = Math.round((rssPeak - rssBefore) / 1024 / 1024);
    log(`  LanceDB path: ${recordsPerSecond} records/s (search, check, accept, vector write per batch of ${batchSize})`);
    log(
      `  LanceDB path: recall ${recall.toFixed(4)} (exact ${recallByKind.exact.toFixed(3)}, near ${recallByKind.near.toFixed(3)}, semantic ${recallByKind.semantic.toFixed(3)}) → ${(recall / TARGET_RECALL).toFixed(3)}× target ${TARGET_RECALL}`,
    );
    log(
      `  LanceDB path: precision ${precision.toFixed(4)} (${flagged.size - truePositives} false positives of ${flagged.size} flagged) → ${(precision / TARGET_PRECISION).toFixed(3)}× target ${TARGET_PRECISION}`,
    );
    log(`  LanceDB path: RSS grew ${rssGrowthMb} MB while checking the stream (no vectors held in memory)`);
    return { vectorWriteRowsPerSecond, indexSeconds, recordsPerSecond, recall, precision, recallByKind, rssGrowthMb };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The alternative we measured against: LanceDB's flat cosine search, one query per new record. */
async function timeLanceSearch(records: { id: string; text: string; vector: Float32Array }[], sample: number, log: (line: string) => void): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'datacreek-bench-lance-'));
  const store = await openVectorStore(dir);
  try {
    for (let start = 0; start < records.length; start += 10_000) {
      await store.upsert(
        'bench',
        records.slice(start, start + 10_000).map((r) => ({ id: r.id, vector: r.vector, text: r.text })),
      );
    }
    const queries = records.slice(0, sample).map((r) => r.vector);
    const started = performance.now();
    await store.searchMany('bench', queries, 1);
    const qps = Math.round(sample / ((performance.now() - started) / 1000));
    log(`  LanceDB flat search (for comparison): ${qps} queries/s over ${records.length} rows`);
    return qps;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function buildStream(
  data: SyntheticData,
  accepted: { id: string; text: string; vector: Float32Array }[],
  freshCount: number,
  planted: number,
  hardNegatives: number,
  seed: number,
): StreamItem[] {
  const random = seededRandom(seed ^ 0xabcdef);
  const fresh = Array.from({ length: freshCount }, (_, i) => data.record(`n${i}`));
  const stream: StreamItem[] = fresh.map((record) => ({ candidate: { id: record.id, text: record.text, vector: record.vector } }));
  for (let i = 0; i < hardNegatives; i++) {
    const source = accepted[Math.floor(random() * accepted.length)];
    const record = data.record(`h${i}`, source);
    // Below the semantic threshold (0.75–0.86) and sharing only the topic, not the wording.
    stream.push({ candidate: { id: record.id, text: record.text, vector: data.perturb(source.vector, 0.75 + 0.11 * random()) } });
  }
  // Planted duplicates: three in four of an accepted record, one in four of an earlier new record
  // (caught within the batch or against a later batch's accepted set).
  const kinds: PlantedKind[] = ['exact', 'near', 'semantic'];
  for (let i = 0; i < planted; i++) {
    const kind = kinds[i % 3];
    const fromStream = random() < 0.25 && fresh.length > 0;
    const source = fromStream ? fresh[Math.floor(random() * fresh.length)] : accepted[Math.floor(random() * accepted.length)];
    const id = `p${i}-${kind}`;
    const text = kind === 'exact' ? data.reformat(source.text) : kind === 'near' ? data.lightEdit(source.text) : data.record(id, source).text;
    const cosine = kind === 'exact' ? 0.995 : kind === 'near' ? 0.97 : 0.91 + 0.08 * random();
    const item: StreamItem = { candidate: { id, text, vector: data.perturb(source.vector, cosine) }, planted: { kind, of: source.id } };
    // Insert after its source when the source is a new record, anywhere otherwise.
    const earliest = fromStream ? stream.findIndex((s) => s.candidate.id === source.id) + 1 : 0;
    stream.splice(earliest + Math.floor(random() * (stream.length - earliest + 1)), 0, item);
  }
  return stream;
}

/**
 * Texts from topic vocabularies and embeddings with the structure real sentence embeddings have: a
 * component shared by everything, a topic (cluster) component and a per-record component.
 */
class SyntheticData {
  private readonly gaussian: () => number;
  private readonly random: () => number;
  private readonly common: Float32Array;
  private readonly topicCenters: Float32Array[];
  private readonly topicWords: string[][];
  private readonly generalWords: string[];
  private readonly topicOf = new Map<string, number>();

  constructor(
    private readonly dims: number,
    seed: number,
    topics = 1000,
  ) {
    this.gaussian = seededGaussian(seed);
    this.random = seededRandom(seed + 1);
    this.common = this.unitRandom();
    this.topicCenters = Array.from({ length: topics }, () => this.unitRandom());
    this.generalWords = Array.from({ length: 3000 }, () => this.word());
    this.topicWords = Array.from({ length: topics }, () => Array.from({ length: 40 }, () => this.word()));
  }

  /** A record of a random topic, or of `sameTopicAs`'s topic. */
  record(id: string, sameTopicAs?: { id: string }): { id: string; text: string; vector: Float32Array } {
    const topic = sameTopicAs ? (this.topicOf.get(sameTopicAs.id) ?? 0) : Math.floor(this.random() * this.topicCenters.length);
    this.topicOf.set(id, topic);
    const length = 25 + Math.floor(this.random() * 20);
    const words: string[] = [];
    for (let i = 0; i < length; i++) {
      const pool = this.random() < 0.4 ? this.topicWords[topic] : this.generalWords;
      words.push(pool[Math.floor(this.random() * pool.length)]);
    }
    const question = `${capitalize(words.slice(0, 8).join(' '))}?`;
    const answer = `${capitalize(words.slice(8).join(' '))}.`;
    const noise = this.unitRandom();
    const center = this.topicCenters[topic];
    const vector = new Float32Array(this.dims);
    for (let i = 0; i < this.dims; i++) vector[i] = Math.sqrt(0.15) * this.common[i] + Math.sqrt(0.4) * center[i] + Math.sqrt(0.45) * noise[i];
    return { id, text: `${question}\n${answer}`, vector };
  }

  /** A vector at exactly `cosine` to `vector` (in expectation over the random direction). */
  perturb(vector: Float32Array, cosine: number): Float32Array {
    let norm = 0;
    for (let i = 0; i < this.dims; i++) norm += vector[i] * vector[i];
    norm = Math.sqrt(norm);
    const direction = this.unitRandom();
    let along = 0;
    for (let i = 0; i < this.dims; i++) along += direction[i] * (vector[i] / norm);
    // The component of the random direction orthogonal to `vector`, scaled for the wanted angle.
    const orthogonal = new Float32Array(this.dims);
    let orthogonalNorm = 0;
    for (let i = 0; i < this.dims; i++) {
      orthogonal[i] = direction[i] - along * (vector[i] / norm);
      orthogonalNorm += orthogonal[i] * orthogonal[i];
    }
    orthogonalNorm = Math.sqrt(orthogonalNorm);
    const sine = Math.sqrt(1 - cosine * cosine);
    const out = new Float32Array(this.dims);
    for (let i = 0; i < this.dims; i++) out[i] = cosine * (vector[i] / norm) + sine * (orthogonal[i] / orthogonalNorm);
    return out;
  }

  /** Same text, different case, punctuation and spacing. */
  reformat(text: string): string {
    return text.toUpperCase().replace(/\?/g, ' ?!').replace(/ /g, '  ');
  }

  /** Two words changed and one dropped: a paraphrase-light edit. */
  lightEdit(text: string): string {
    const words = text.split(' ');
    for (let edits = 0; edits < 2; edits++)
      words[1 + Math.floor(this.random() * (words.length - 2))] = this.generalWords[Math.floor(this.random() * this.generalWords.length)];
    words.splice(1 + Math.floor(this.random() * (words.length - 2)), 1);
    return words.join(' ');
  }

  private unitRandom(): Float32Array {
    const v = new Float32Array(this.dims);
    let norm = 0;
    for (let i = 0; i < this.dims; i++) {
      v[i] = this.gaussian();
      norm += v[i] * v[i];
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < this.dims; i++) v[i] /= norm;
    return v;
  }

  private word(): string {
    const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'shi', 'po', 'ven', 'dar', 'el', 'qui', 'sa', 'tor', 'bel', 'an', 'ix', 'um'];
    const count = 2 + Math.floor(this.random() * 2);
    let word = '';
    for (let i = 0; i < count; i++) word += syllables[Math.floor(this.random() * syllables.length)];
    return word;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(2);
}

function perSecond(count: number, secondsText: string): number {
  return Math.round(count / Math.max(0.001, Number(secondsText)));
}

function argument(name: string): number | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return undefined;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a non-negative number, e.g. --${name} 20000`);
  return value;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runDedupBench({ records: argument('records'), fresh: argument('fresh'), planted: argument('planted'), lanceSample: argument('lance-sample') });
}
