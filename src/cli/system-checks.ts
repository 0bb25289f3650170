// What `datacreek system-check` checks: every outside service datacreek depends on, each with what to fix when it
// fails. Each check returns a result and never throws, so one broken service never hides the state of the others.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import postgres from 'postgres';
import { redactUrl } from '../infra/config';
import type { DatacreekConfig } from '../infra/config';
import { MIGRATIONS_DIR } from '../infra/db';
import { taskQueueFor, WORK_KINDS } from '../client';
import { databaseUrlOf } from '../infra/db';

export interface CheckResult {
  name: string;
  /** `warn` is worth knowing but does not fail the check (e.g. no worker polls yet). */
  status: 'ok' | 'warn' | 'FAIL';
  detail: string;
  fix?: string;
}

const TIMEOUT_MS = 5_000;

export async function runSystemChecks(config: DatacreekConfig): Promise<CheckResult[]> {
  const [temporal, database, llm, embedding, reward] = await Promise.all([
    checkTemporal(config),
    checkDatabase(config),
    checkLlm(config),
    checkEmbedding(config),
    config.reward.enabled ? checkReward(config) : Promise.resolve(undefined),
  ]);
  return [...temporal, database, llm, embedding, ...(reward ? [reward] : [])];
}

/** The server answers (version), the namespace exists, and whether a worker polls the task queue. */
export async function checkTemporal(config: DatacreekConfig): Promise<CheckResult[]> {
  const { address, namespace, task_queue: taskQueue } = config.temporal;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: TIMEOUT_MS });
    const service = connection.workflowService;
    const deadline = () => new Date(Date.now() + TIMEOUT_MS);
    const info = await connection.withDeadline(deadline(), () => service.getSystemInfo({}));
    try {
      await connection.withDeadline(deadline(), () => service.describeNamespace({ namespace }));
    } catch (err) {
      return [
        {
          name: 'temporal',
          status: 'FAIL',
          detail: `${address} answers (server ${info.serverVersion || 'unknown version'}), but namespace "${namespace}": ${(err as Error).message}`,
          fix: `Create it (temporal operator namespace create --namespace ${namespace}) or set temporal.namespace / TEMPORAL_NAMESPACE.`,
        },
      ];
    }
    const temporalResult: CheckResult = {
      name: 'temporal',
      status: 'ok',
      detail: `${address}: server ${info.serverVersion || 'unknown version'}, namespace "${namespace}"`,
    };
    // Each kind of work has its task queue (workflows on the base queue, LLM batches, acceptance, file work on
    // their own): a kind no worker serves leaves its tasks waiting, so each is checked.
    const served = await Promise.all(
      WORK_KINDS.map(async (kind) => {
        const name = taskQueueFor(taskQueue, kind);
        const described = await connection!.withDeadline(deadline(), () =>
          // Kind 1 = a normal task queue; type 1 = its workflow tasks, type 2 = its activity tasks.
          service.describeTaskQueue({ namespace, taskQueue: { name, kind: 1 }, taskQueueType: kind === 'workflows' ? 1 : 2 }),
        );
        return { kind, name, pollers: described.pollers?.length ?? 0 };
      }),
    );
    const summary = served.map((q) => `${q.kind} ${q.pollers}`).join(', ');
    const unserved = served.filter((q) => q.pollers === 0);
    const workers: CheckResult =
      unserved.length === 0
        ? { name: 'workers', status: 'ok', detail: `task queue "${taskQueue}": workers polling per kind of work: ${summary}` }
        : {
            name: 'workers',
            status: 'warn',
            detail: `task queue "${taskQueue}": no worker serves ${unserved.map((q) => `${q.kind} ("${q.name}")`).join(', ')}; those tasks will wait (polling: ${summary})`,
            fix:
              unserved.length === served.length
                ? 'Start one: datacreek dev (local stack) or datacreek worker.'
                : `Start a worker that serves them: datacreek worker --serve ${unserved.map((q) => q.kind).join(',')}`,
          };
    return [temporalResult, workers];
  } catch (err) {
    return [
      {
        name: 'temporal',
        status: 'FAIL',
        detail: `${address}: ${(err as Error).message}`,
        fix: 'Start the local stack (datacreek dev), or set TEMPORAL_ADDRESS / temporal.address to a running server.',
      },
    ];
  } finally {
    await connection?.close().catch(() => {});
  }
}

/** Connects, reads the server version, and compares applied migrations with drizzle/'s journal. */
export async function checkDatabase(config: DatacreekConfig): Promise<CheckResult> {
  const url = databaseUrlOf(config);
  const shown = redactUrl(url);
  const sql = postgres(url, { max: 1, connect_timeout: TIMEOUT_MS / 1000, onnotice: () => {} });
  try {
    const [{ version }] = await sql<{ version: string }[]>`select version()`;
    const server = version.split(' on ')[0];
    const journal = readJournal();
    const [{ exists }] = await sql<{ exists: boolean }[]>`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`;
    const lastApplied = exists
      ? Number((await sql<{ created_at: string | null }[]>`select max(created_at)::text as created_at from drizzle.__drizzle_migrations`)[0].created_at ?? 0)
      : 0;
    const pending = journal.filter((entry) => entry.when > lastApplied).map((entry) => entry.tag);
    if (pending.length) {
      return {
        name: 'database',
        status: 'FAIL',
        detail: `${shown}: ${server}; ${pending.length} migration(s) not applied (${pending.join(', ')})`,
        fix: 'Apply them: datacreek migrate (datacreek dev applies them at start).',
      };
    }
    return { name: 'database', status: 'ok', detail: `${shown}: ${server}; ${journal.length} migration(s) applied` };
  } catch (err) {
    return {
      name: 'database',
      status: 'FAIL',
      detail: `${shown}: ${(err as Error).message}`,
      fix: config.database.url
        ? 'Check DATABASE_URL / database.url and that the server runs.'
        : 'Start the local stack (datacreek dev), or set DATABASE_URL to a running PostgreSQL.',
    };
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

function readJournal(): { tag: string; when: number }[] {
  const file = path.join(MIGRATIONS_DIR, 'meta', '_journal.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { entries: { tag: string; when: number }[] }).entries;
}

export async function checkLlm(config: DatacreekConfig): Promise<CheckResult> {
  if (config.llm.provider === 'local') {
    const model = path.resolve(config.llm.local_model_path);
    return existsSync(model)
      ? { name: 'llm', status: 'ok', detail: `local model ${model}` }
      : {
          name: 'llm',
          status: 'FAIL',
          detail: `local model not found: ${model}`,
          fix: 'Set llm.local_model_path to a GGUF file, or use provider openai with llm.base_url.',
        };
  }
  return checkModelEndpoint('llm', config.llm.base_url, config.llm.api_key, config.llm.model, {
    url: 'OPENAI_BASE_URL / llm.base_url',
    key: 'OPENAI_API_KEY / llm.api_key',
    model: 'DATACREEK_LLM_MODEL / llm.model',
  });
}

export async function checkEmbedding(config: DatacreekConfig): Promise<CheckResult> {
  const e = config.embedding;
  if (e.provider === 'lexical') return { name: 'embedding', status: 'ok', detail: 'lexical: no model needed (matches words, not meaning)' };
  if (e.provider === 'local') return checkLocalEmbedding(config);
  return checkModelEndpoint('embedding', e.base_url || config.llm.base_url, e.api_key || config.llm.api_key, e.model, {
    url: 'embedding.base_url (empty: llm.base_url)',
    key: 'embedding.api_key',
    model: 'embedding.model',
  });
}

/** Which embedder `local` means here, proven by embedding one text with it when it is the model. */
async function checkLocalEmbedding(config: DatacreekConfig): Promise<CheckResult> {
  const { describeLocalEmbedding, localModelEmbedder, FETCH_EMBEDDING_HINT } = await import('../infra/local-llm');
  const choice = describeLocalEmbedding(config);
  if (!choice.modelPath) {
    return {
      name: 'embedding',
      status: 'warn',
      detail: choice.detail,
      fix: `${FETCH_EMBEDDING_HINT}, or set embedding.provider: openai with an /v1/embeddings endpoint.`,
    };
  }
  try {
    const started = performance.now();
    const [vector] = await localModelEmbedder(choice.modelPath).embed(['datacreek system check']);
    const ms = Math.round(performance.now() - started);
    return { name: 'embedding', status: 'ok', detail: `${choice.detail}: ${vector.length} dimensions, loaded and embedded a text in ${ms} ms` };
  } catch (error) {
    return {
      name: 'embedding',
      status: 'FAIL',
      detail: `${choice.detail}: ${(error as Error).message}`,
      fix: `Delete the file and ${FETCH_EMBEDDING_HINT}, or use embedding.provider lexical.`,
    };
  }
}

export async function checkReward(config: DatacreekConfig): Promise<CheckResult> {
  const r = config.reward;
  return checkModelEndpoint('reward', r.base_url || config.llm.base_url, r.api_key || config.llm.api_key, r.model, {
    url: 'reward.base_url (empty: llm.base_url)',
    key: 'reward.api_key',
    model: 'reward.model',
  });
}

/** GET <base>/models: the endpoint answers, the key is accepted, and the configured model is served. */
export async function checkModelEndpoint(
  name: string,
  baseUrl: string,
  apiKey: string,
  model: string,
  settings: { url: string; key: string; model: string },
): Promise<CheckResult> {
  const url = `${baseUrl.replace(/\/+$/, '')}/models`;
  let response: Response;
  try {
    response = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return {
      name,
      status: 'FAIL',
      detail: `${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      fix: `Start the server, or point ${settings.url} at a running OpenAI-compatible endpoint.`,
    };
  }
  if (response.status === 401 || response.status === 403) {
    return { name, status: 'FAIL', detail: `${url}: HTTP ${response.status} (the key was refused)`, fix: `Set ${settings.key} to a valid key.` };
  }
  if (!response.ok) {
    return { name, status: 'FAIL', detail: `${url}: HTTP ${response.status}`, fix: `Check ${settings.url}: it should end with /v1 for most servers.` };
  }
  let ids: string[];
  try {
    const body = (await response.json()) as { data?: { id?: unknown }[] };
    ids = (body.data ?? []).map((m) => String(m.id));
  } catch {
    return {
      name,
      status: 'FAIL',
      detail: `${url}: the answer is not an OpenAI model list`,
      fix: `Check ${settings.url}: it should be the API base, e.g. http://host:8000/v1.`,
    };
  }
  if (!ids.includes(model)) {
    const available = ids.length ? ids.slice(0, 8).join(', ') + (ids.length > 8 ? ', …' : '') : 'none listed';
    return {
      name,
      status: 'FAIL',
      detail: `${url}: model "${model}" is not served (available: ${available})`,
      fix: `Set ${settings.model} to one of the served models, or serve "${model}".`,
    };
  }
  return { name, status: 'ok', detail: `${baseUrl}: model "${model}" served` };
}
