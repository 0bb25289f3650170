// Driving a real build through the chaos stack (ingest a document, start buildDataset, wait for it across worker
// deaths and server restarts) and auditing the result in PostgreSQL: exactly `target`, no duplicates, nothing lost.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { recordTableName } from '../../src/infra/vectors/table-names';
import type { DatacreekConfig } from '../../src/infra/config/schema';
import type { Database } from '../../src/infra/db/client';
import { defaultSemanticThreshold, openVectorStore } from '../../src/infra/vectors';
import type { BuildInput, BuildProgress } from '../../src/workflows/build-input';
import { buildWorkflowId } from '../../src/workflows/ids';
import type { IngestResult } from '../../src/workflows/ingest-input';
import { sleep, type ChaosStack } from './harness';

const TOPICS = ['glaciers', 'volcanoes', 'coral reefs', 'deserts', 'rainforests', 'tundra', 'estuaries', 'savannas'];

/** A document of distinct facts (so generated records differ), about 30 chunks at a 600-character chunk size. */
export function factsDocument(): string {
  return TOPICS.map(
    (topic, i) =>
      `## ${topic}\n\n` +
      Array.from(
        { length: 12 },
        (_, j) =>
          `Fact ${j + 1} about ${topic}: the ${topic} of region ${i}-${j} show pattern ${(i * 31 + j * 7) % 97} during season ${j % 4}, ` +
          `which scientists measured with instrument ${String.fromCharCode(65 + ((i + j) % 26))}.`,
      ).join(' '),
  ).join('\n\n');
}

/** Ingests the facts document into a new dataset through the real ingest workflow; returns its chunk count. */
export async function ingestFacts(stack: ChaosStack, datasetId: string): Promise<number> {
  const file = path.join(stack.dir, `${datasetId}.md`);
  writeFileSync(file, factsDocument());
  const result: IngestResult = await stack.client.workflow.execute('ingestWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `ingest-${datasetId}`,
    args: [{ datasetId, items: [{ path: file }], chunking: { chunk_size: 600, overlap: 50, whole_document_below: 500 } }],
  });
  if (result.totals.failed > 0 || result.totals.chunks < 8) throw new Error(`ingest of ${file} went wrong: ${JSON.stringify(result.totals)}`);
  return result.totals.chunks;
}

export function startBuild(stack: ChaosStack, input: BuildInput): Promise<WorkflowHandle> {
  return stack.client.workflow.start('buildDataset', {
    taskQueue: stack.taskQueue,
    workflowId: buildWorkflowId(input.datasetId),
    args: [input],
  });
}

/** The build's result; keeps waiting through a Temporal restart (the long poll fails while the server is down). */
export async function buildResult(handle: WorkflowHandle, timeoutMs = 600_000): Promise<BuildProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await handle.result()) as BuildProgress;
    } catch (err) {
      const unavailable = /UNAVAILABLE|connect|ECONNREFUSED|DEADLINE|transport|shutdown/i.test(String((err as Error)?.message ?? err));
      if (!unavailable || Date.now() > deadline) throw err;
      await sleep(1000);
    }
  }
}

/** Accepted records so far, read from PostgreSQL (works while the worker is dead, unlike the progress query). */
export async function acceptedSoFar(db: Database, datasetId: string): Promise<number> {
  const [{ n }] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from records where dataset_id = ${datasetId} and status = 'accepted'`;
  return n;
}

/** What the audit found: the figures for the report, and every violation in words (empty when all is well). */
export interface BuildAudit {
  target: number;
  accepted: number;
  generated: number;
  rejectedWithContent: number;
  rejectedWithoutContent: number;
  surplus: number;
  parseFailures: number;
  /** Records that should exist or be resolved but are not: missing accepted records, unresolved candidates, … */
  recordsLost: number;
  /** Duplicate rows among accepted records, by id and by content hash / content. */
  duplicates: number;
  rejectedByReason: Record<string, number>;
  violations: string[];
}

/**
 * Checks a finished build against PostgreSQL. Every count is computed from the rows themselves:
 * - exactly `target` accepted, accept_seq 1..target without gaps, the dataset row and the progress agree;
 * - no duplicate ids or content among accepted records;
 * - no record left as a bare candidate, every rejected or surplus record has a reason;
 * - generated = accepted + rejected-with-content + surplus;
 * - every source item of every processed batch left a trace (records, a parse failure or a "no output" marker).
 */
export async function auditBuild(db: Database, datasetId: string, progress: BuildProgress, batchSize: number): Promise<BuildAudit> {
  const { sql } = db;
  const violations: string[] = [];
  const target = progress.target;

  const byStatus = await sql<{ status: string; reason: string | null; with_content: boolean; n: number }[]>`
    select status, reject_reason as reason, content is not null as with_content, count(*)::int as n
    from records where dataset_id = ${datasetId} group by 1, 2, 3`;
  const sum = (pick: (r: (typeof byStatus)[number]) => boolean) => byStatus.filter(pick).reduce((s, r) => s + r.n, 0);
  const accepted = sum((r) => r.status === 'accepted');
  const candidates = sum((r) => r.status === 'candidate');
  const generated = sum((r) => r.with_content);
  const rejectedWithContent = sum((r) => r.status === 'rejected' && r.with_content);
  const rejectedWithoutContent = sum((r) => r.status === 'rejected' && !r.with_content);
  const surplus = sum((r) => r.status === 'surplus');
  const withoutReason = sum((r) => (r.status === 'rejected' || r.status === 'surplus') && !r.reason);
  const acceptedWithoutContent = sum((r) => r.status === 'accepted' && !r.with_content);
  const rejectedByReason: Record<string, number> = {};
  for (const r of byStatus.filter((r) => r.status === 'rejected')) rejectedByReason[r.reason ?? '(none)'] = (rejectedByReason[r.reason ?? '(none)'] ?? 0) + r.n;

  let recordsLost = 0;
  if (progress.stopReason !== 'target_reached') violations.push(`the build stopped with ${progress.stopReason}, not target_reached`);
  if (accepted !== target) {
    violations.push(`${accepted} records accepted, the target is ${target}`);
    recordsLost += Math.max(0, target - accepted);
  }
  if (progress.accepted !== accepted) violations.push(`the workflow says ${progress.accepted} accepted, PostgreSQL holds ${accepted}`);
  if (candidates > 0) {
    // Where they are and when they were written, relative to the build's end, says which step left them behind.
    const where = await sql<{ batch_id: string; n: number; batch_status: string | null; written_after_end_ms: number }[]>`
      select r.batch_id, count(*)::int as n, b.status as batch_status,
             (extract(epoch from max(r.created_at) - d.updated_at) * 1000)::int as written_after_end_ms
      from records r join datasets d on d.id = r.dataset_id left join batches b on b.id = r.batch_id
      where r.dataset_id = ${datasetId} and r.status = 'candidate' group by r.batch_id, b.status, d.updated_at limit 5`;
    violations.push(`${candidates} records left as bare candidates (neither accepted nor rejected with a reason): ${JSON.stringify(where)}`);
    recordsLost += candidates;
  }
  if (withoutReason > 0) {
    violations.push(`${withoutReason} rejected or surplus records have no reason`);
    recordsLost += withoutReason;
  }
  if (acceptedWithoutContent > 0) {
    violations.push(`${acceptedWithoutContent} accepted records have no content`);
    recordsLost += acceptedWithoutContent;
  }
  if (generated !== accepted + rejectedWithContent + surplus) {
    violations.push(`generated ${generated} ≠ accepted ${accepted} + rejected-with-content ${rejectedWithContent} + surplus ${surplus}`);
  }

  const [seq] = await sql<{ min: number | null; max: number | null; distinct_seq: number; with_seq: number }[]>`
    select min(accept_seq)::int as min, max(accept_seq)::int as max, count(distinct accept_seq)::int as distinct_seq,
           count(accept_seq)::int as with_seq
    from records where dataset_id = ${datasetId} and status = 'accepted'`;
  if (accepted > 0 && (seq.min !== 1 || seq.max !== accepted || seq.distinct_seq !== accepted || seq.with_seq !== accepted)) {
    violations.push(`accept_seq is not 1..${accepted} without gaps (min ${seq.min}, max ${seq.max}, ${seq.distinct_seq} distinct, ${seq.with_seq} set)`);
  }
  const [{ stray_seq }] = await sql<{ stray_seq: number }[]>`
    select count(*)::int as stray_seq from records where dataset_id = ${datasetId} and status <> 'accepted' and accept_seq is not null`;
  if (stray_seq > 0) violations.push(`${stray_seq} records that are not accepted hold an accept_seq`);

  const [dups] = await sql<{ by_id: number; by_hash: number; by_content: number }[]>`
    select
      (select count(*) - count(distinct id) from records where dataset_id = ${datasetId})::int as by_id,
      (select coalesce(sum(n - 1), 0) from (select count(*) as n from records where dataset_id = ${datasetId} and status = 'accepted'
         group by content_hash having count(*) > 1) h)::int as by_hash,
      (select coalesce(sum(n - 1), 0) from (select count(*) as n from records where dataset_id = ${datasetId} and status = 'accepted'
         group by content::text having count(*) > 1) c)::int as by_content`;
  const duplicates = dups.by_id + dups.by_hash + dups.by_content;
  if (duplicates > 0) violations.push(`duplicates among accepted records: ${dups.by_id} by id, ${dups.by_hash} by content hash, ${dups.by_content} by content`);

  const [dataset] = await sql<{ accepted_count: number; status: string }[]>`select accepted_count, status from datasets where id = ${datasetId}`;
  if (dataset.accepted_count !== accepted)
    violations.push(`datasets.accepted_count is ${dataset.accepted_count}, PostgreSQL holds ${accepted} accepted records`);
  if (dataset.status !== 'completed') violations.push(`the dataset's status is ${dataset.status}, not completed`);

  // Every source item a processed batch was given left a trace: its generated records, a parse failure, or the
  // "no output" marker (record positions are ordinal * 1000 + k). A missing ordinal means an item's output vanished;
  // a batch holding fewer generated records than it reported means records vanished after the fact.
  const [{ sources }] = await sql<{ sources: number }[]>`
    select ((select count(*) from chunks where dataset_id = ${datasetId}) + (select count(*) from seed_records where dataset_id = ${datasetId}))::int as sources`;
  // Only batches that finished processing report a summary; a batch cancelled while generating (the target was met,
  // or the launch policy withdrew it) is closed with what it wrote, which the surplus and candidate checks cover.
  const processed = await sql<
    { batch_id: string; index: number; reported: number; seen: number; ordinals: number[]; offset: number | null; items: number | null }[]
  >`
    select b.id as batch_id, b.index, (b.summary->>'generated')::int as reported,
           (b.summary->>'sourceOffset')::int as offset, (b.summary->>'sourceItems')::int as items,
           (select count(*)::int from records r where r.batch_id = b.id and r.content is not null) as seen,
           (select coalesce(array_agg(distinct r.position / 1000), '{}') from records r where r.batch_id = b.id) as ordinals
    from batches b where b.dataset_id = ${datasetId} and b.status in ('processed', 'accepted')`;
  for (const b of processed) {
    // Batches say which source items they were given; older ones were all `batchSize` long, in index order.
    const from = b.offset ?? b.index * batchSize;
    const count = b.items ?? Math.max(0, Math.min(from + batchSize, sources) - from);
    const expected = Array.from({ length: count }, (_, i) => from + i);
    const missing = expected.filter((o) => !b.ordinals.includes(o));
    if (missing.length) violations.push(`batch ${b.batch_id}: source items ${missing.join(', ')} left no record, failure or marker`);
    if (b.seen !== b.reported) {
      violations.push(`batch ${b.batch_id} reported ${b.reported} generated records, PostgreSQL holds ${b.seen}`);
      recordsLost += Math.max(0, b.reported - b.seen);
    }
  }
  const [{ unaccepted }] = await sql<{ unaccepted: number }[]>`
    select count(*)::int as unaccepted from batches b
    where b.dataset_id = ${datasetId} and b.status = 'accepted'
      and exists (select 1 from records r where r.batch_id = b.id and r.status = 'candidate')`;
  if (unaccepted > 0) violations.push(`${unaccepted} accepted batches still hold candidates`);

  return {
    target,
    accepted,
    generated,
    rejectedWithContent,
    rejectedWithoutContent,
    surplus,
    parseFailures: rejectedByReason.parse_failure ?? 0,
    recordsLost,
    duplicates,
    rejectedByReason,
    violations,
  };
}

/**
 * Activity attempts that failed or timed out and were tried again, over every run of a workflow (continue-as-new
 * included): the evidence that a fault was felt and recovered from, not merely survived by luck.
 */
export async function activityRetries(client: Client, workflowId: string): Promise<number> {
  let retries = 0;
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    for (const event of history.events ?? []) {
      const attempt = event.activityTaskStartedEventAttributes?.attempt ?? 1;
      if (attempt > 1) retries += attempt - 1;
    }
  }
  return retries;
}

/**
 * How long after a build's end the audit looks again. Before the fix in src/workflows/build.ts a batch cancelled at
 * the target went on writing candidates up to ~1.5 s after the build had finalized; 3 s catches that kind of writer.
 */
export const LATE_WRITE_GRACE_MS = 3000;

/** Audits a finished build twice, at its end and after LATE_WRITE_GRACE_MS, and reports the worse of the two. */
export async function auditFinishedBuild(db: Database, datasetId: string, progress: BuildProgress, batchSize: number): Promise<BuildAudit> {
  const atEnd = await auditBuild(db, datasetId, progress, batchSize);
  await sleep(LATE_WRITE_GRACE_MS);
  const later = await auditBuild(db, datasetId, progress, batchSize);
  return {
    ...later,
    recordsLost: Math.max(atEnd.recordsLost, later.recordsLost),
    duplicates: Math.max(atEnd.duplicates, later.duplicates),
    violations: [...new Set([...atEnd.violations, ...later.violations.map((v) => `${LATE_WRITE_GRACE_MS} ms after the end: ${v}`)])],
  };
}

/**
 * Semantic dedup read back from LanceDB, where acceptance keeps the accepted vectors: every accepted record has its
 * vector, and no two accepted records are at or above the semantic threshold. Returns the violations found.
 */
export async function auditAcceptedVectors(config: DatacreekConfig, db: Database, datasetId: string): Promise<string[]> {
  const { sql } = db;
  const accepted = (await sql<{ id: string }[]>`select id from records where dataset_id = ${datasetId} and status = 'accepted'`).map((r) => r.id);
  const store = await openVectorStore(config.paths.lancedb_dir);
  try {
    const table = recordTableName(datasetId);
    const vectors = await store.readVectorsByIds(table, accepted);
    const violations: string[] = [];
    const missing = accepted.filter((id) => !vectors.has(id));
    if (missing.length) violations.push(`${missing.length} accepted records have no vector in ${table}, e.g. ${missing.slice(0, 3).join(', ')}`);
    const ids = [...vectors.keys()];
    const acceptedSet = new Set(accepted);
    const hits = await store.searchMany(
      table,
      ids.map((id) => vectors.get(id)!),
      3,
    );
    const semanticThreshold = config.dedup.semantic.threshold ?? defaultSemanticThreshold(config.embedding.provider);
    const pairs = new Set<string>();
    ids.forEach((id, i) => {
      for (const hit of hits[i]) {
        if (hit.id !== id && acceptedSet.has(hit.id) && hit.score >= semanticThreshold) pairs.add([id, hit.id].sort().join(' ~ '));
      }
    });
    if (pairs.size) violations.push(`${pairs.size} pairs of accepted records are semantic duplicates, e.g. ${[...pairs].slice(0, 3).join('; ')}`);
    return violations;
  } finally {
    await store.close();
  }
}
