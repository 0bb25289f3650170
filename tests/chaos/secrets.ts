// Looking for leaked secrets where they must never be: every workflow history of the stack's Temporal server
// (inputs, results, failures, heartbeat details, search attributes; payload bytes decoded), logs, error texts and
// every text column of the database.
import type { Client } from '@temporalio/client';
import type { Sql } from '../../src/infra/db/client';

/** Secrets by name (e.g. { llmApiKey: 'sk-…' }). */
export type Secrets = Record<string, string>;

export interface SecretHit {
  secret: string;
  where: string;
}

/** The names of the secrets `text` contains, as they are or base64-encoded, found at `where`. */
export function findSecrets(text: string, secrets: Secrets, where: string): SecretHit[] {
  return Object.keys(secrets)
    .filter((name) => text.includes(secrets[name]) || text.includes(Buffer.from(secrets[name]).toString('base64')))
    .map((secret) => ({ secret, where }));
}

/** Every string in a history object, payload bytes decoded as UTF-8 (that is how JSON payloads are stored). */
export function historyText(value: unknown, out: string[] = []): string[] {
  if (value == null) return out;
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const item of value) historyText(item, out);
  else if (typeof value === 'object') for (const item of Object.values(value)) historyText(item, out);
  return out;
}

export interface HistoryScan {
  histories: number;
  events: number;
  /** All the text of all the histories, for further checks. */
  text: string;
  hits: SecretHit[];
}

/** Fetches the history of every workflow run the server knows (continued-as-new runs included) and scans it. */
export async function scanWorkflowHistories(client: Client, secrets: Secrets): Promise<HistoryScan> {
  const scan: HistoryScan = { histories: 0, events: 0, text: '', hits: [] };
  const texts: string[] = [];
  for await (const execution of client.workflow.list()) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    const text = historyText(history).join('\n');
    scan.histories++;
    scan.events += history.events?.length ?? 0;
    texts.push(text);
    scan.hits.push(...findSecrets(text, secrets, `history of ${execution.workflowId} (run ${execution.runId})`));
  }
  scan.text = texts.join('\n');
  return scan;
}

/** Looks through every text, varchar and json(b) column of every table in the public schema. */
export async function scanDatabase(sql: Sql, secrets: Secrets): Promise<{ columns: number; hits: SecretHit[] }> {
  const columns = await sql<{ table_name: string; column_name: string }[]>`
    select table_name, column_name from information_schema.columns
    where table_schema = 'public' and data_type in ('text', 'character varying', 'json', 'jsonb')`;
  const hits: SecretHit[] = [];
  const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
  for (const { table_name, column_name } of columns) {
    for (const [name, value] of Object.entries(secrets)) {
      const [{ n }] = await sql.unsafe<{ n: number }[]>(
        `select count(*)::int as n from ${quote(table_name)} where strpos(${quote(column_name)}::text, $1) > 0`,
        [value],
      );
      if (n > 0) hits.push({ secret: name, where: `${n} rows of ${table_name}.${column_name}` });
    }
  }
  return { columns: columns.length, hits };
}
