// Runs the test LLM server as its own process, for chaos tests and benchmarks:
//   npx tsx testkit/llm-server/main.ts --port 0 --latency-ms 50 --concurrency 32 --fault-rate-limit 0.05
// Prints one JSON line `{"url": "http://127.0.0.1:PORT/v1", "port": PORT}` on stdout once listening;
// control it with GET /_control/stats, GET|POST /_control/options and POST /_control/reset.
import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind, type TestLlmServerOptionsPatch } from './options';
import { startTestLlmServer } from './server';

const USAGE = `Usage: tsx testkit/llm-server/main.ts [options]
  --host H                  listen address (default 127.0.0.1)
  --port N                  0 picks a free port (default 0)
  --latency-ms N            fixed latency per request
  --per-token-ms N          extra latency per completion token
  --concurrency N           requests served at once, 0 = unlimited
  --overload queue|reject   beyond the concurrency: wait, or answer 429
  --rps N                   requests per second before 429s (0 = no limit)
  --fault-<kind> RATE       probability per request; kinds: ${FAULT_KINDS.join(', ')}
  --retry-after N           seconds sent in Retry-After
  --retry-after-format seconds|http-date
  --no-retry-after-ms       send only Retry-After, not retry-after-ms
  --hang-ms N               how long a hung request is held
  --dup-exact R --dup-near R --dup-semantic R   share of duplicate items
  --dims N                  embedding dimensions (default 384)
  --reject-json-schema      answer 400 to response_format json_schema
  --seed N                  seed of the fault dice`;

function main(): void {
  const faultFlags = Object.fromEntries(FAULT_KINDS.map((kind) => [`fault-${kind.replace(/_/g, '-')}`, { type: 'string' as const }]));
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      'latency-ms': { type: 'string' },
      'per-token-ms': { type: 'string' },
      concurrency: { type: 'string' },
      overload: { type: 'string' },
      rps: { type: 'string' },
      'retry-after': { type: 'string' },
      'retry-after-format': { type: 'string' },
      'no-retry-after-ms': { type: 'boolean' },
      'hang-ms': { type: 'string' },
      'dup-exact': { type: 'string' },
      'dup-near': { type: 'string' },
      'dup-semantic': { type: 'string' },
      dims: { type: 'string' },
      'reject-json-schema': { type: 'boolean' },
      seed: { type: 'string' },
      ...faultFlags,
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const flags = values as Record<string, string | boolean | undefined>;
  const number = (name: string): number | undefined => {
    const raw = flags[name];
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got "${String(raw)}"\n${USAGE}`);
    return value;
  };
  const faults: Partial<Record<FaultKind, number>> = {};
  for (const kind of FAULT_KINDS) {
    const rate = number(`fault-${kind.replace(/_/g, '-')}`);
    if (rate !== undefined) faults[kind] = rate;
  }
  const patch: TestLlmServerOptionsPatch = {
    host: flags.host as string | undefined,
    port: number('port'),
    latencyMs: number('latency-ms'),
    perTokenLatencyMs: number('per-token-ms'),
    concurrency: number('concurrency'),
    overload: flags.overload as 'queue' | 'reject' | undefined,
    requestsPerSecond: number('rps'),
    retryAfterSeconds: number('retry-after'),
    retryAfterFormat: flags['retry-after-format'] as 'seconds' | 'http-date' | undefined,
    sendRetryAfterMs: flags['no-retry-after-ms'] ? false : undefined,
    hangMs: number('hang-ms'),
    embeddingDimensions: number('dims'),
    rejectJsonSchema: flags['reject-json-schema'] as boolean | undefined,
    seed: number('seed'),
    faults,
    duplicates: Object.fromEntries(
      (['exact', 'near', 'semantic'] as const).flatMap((kind) => (number(`dup-${kind}`) === undefined ? [] : [[kind, number(`dup-${kind}`)]])),
    ),
  };
  const cleaned = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as TestLlmServerOptionsPatch;

  startTestLlmServer(cleaned).then(
    (server) => {
      process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port })}\n`);
      const stop = () => {
        void server.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (error: unknown) => {
      console.error(`Could not start the test LLM server: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
