// Renders the chaos suite's figures (.data/chaos-report.json, written by tests/chaos/*.test.ts) as Markdown:
//   npm run chaos:report                 print the latest figures of every chaos test
//   npm run chaos:report -- --readme     also write them into README.md, between the chaos-report markers
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/infra/config/load';
import { CHAOS_REPORT_PATH, latestEntries, readChaosReport, type ChaosFigures } from '../testkit/chaos/report';

const README = path.join(PROJECT_ROOT, 'README.md');
const START_MARKER = '<!-- chaos-report:start -->';
const END_MARKER = '<!-- chaos-report:end -->';

const total = (entries: ChaosFigures[], pick: (e: ChaosFigures) => number | undefined) => entries.reduce((sum, e) => sum + (pick(e) ?? 0), 0);
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
const plural = (n: number, word: string) => (n === 1 ? word : `${word}s`);

function faultTotals(entries: ChaosFigures[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const e of entries) for (const [kind, n] of Object.entries(e.faultsInjected ?? {})) totals[kind] = (totals[kind] ?? 0) + n;
  return totals;
}

/** What a test did to the system, in a few words for the table. */
function doneToIt(e: ChaosFigures): string {
  const parts: string[] = [];
  if (e.kills) parts.push(`${e.kills} SIGKILLs`);
  if (e.temporalRestarts) parts.push(`${e.temporalRestarts} Temporal restart${e.temporalRestarts > 1 ? 's' : ''}`);
  if (e.postgresRestarts) parts.push(`${e.postgresRestarts} PostgreSQL restart${e.postgresRestarts > 1 ? 's' : ''}`);
  const faults = total([e], (x) => Object.values(x.faultsInjected ?? {}).reduce((a, b) => a + b, 0));
  if (faults) parts.push(`${faults} LLM faults in ${e.llmRequests} requests`);
  if (e.badInputsTried) parts.push(`${e.badInputsTried} bad inputs`);
  if (e.secretLeaksProvoked) parts.push(`${e.secretLeaksProvoked} LLM errors quoting the API key back`);
  if (e.historiesScanned) parts.push(`${e.historiesScanned} histories scanned`);
  return parts.join(', ') || '—';
}

function outcome(e: ChaosFigures): string {
  const parts: string[] = [];
  if (e.target !== undefined) parts.push(`${e.accepted}/${e.target} accepted`);
  if (e.activityRetries) parts.push(`${e.activityRetries} activity retries`);
  if (e.peakInFlight !== undefined) parts.push(`peak ${e.peakInFlight} in flight (limit ${e.concurrencyLimit})`);
  if (e.parseFailures) parts.push(`${e.parseFailures} parse failures kept with reasons`);
  if (e.badInputsTried) parts.push(`${e.badInputsRefusedClearly}/${e.badInputsTried} refused with their own error`);
  if (e.secretsFound !== undefined) parts.push(`${e.secretsFound} secrets found`);
  return parts.join('; ');
}

function renderChaosReport(entries: ChaosFigures[]): string {
  if (entries.length === 0) return `No chaos figures yet: run \`npm run test:chaos\` (they are written to ${path.relative(PROJECT_ROOT, CHAOS_REPORT_PATH)}).`;
  const when = entries.map((e) => e.recordedAt).sort();
  const faults = faultTotals(entries);
  const faultList = Object.entries(faults)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${n} ${kind.replace(/_/g, ' ')}`)
    .join(', ');
  const lost = total(entries, (e) => e.recordsLost);
  const duplicates = total(entries, (e) => e.duplicates);
  const secrets = total(entries, (e) => e.secretsFound);
  const lines = [
    `Run of ${when[0].slice(0, 10)}: ${entries.length} scenarios, ${seconds(total(entries, (e) => e.durationMs))} of test time on a 2-core machine.`,
    '',
    `- **${total(entries, (e) => e.kills)}** SIGKILLs of the worker mid-build and **${total(entries, (e) => e.workerRestarts)}** worker restarts`,
    `- **${total(entries, (e) => e.temporalRestarts)}** ${plural(
      total(entries, (e) => e.temporalRestarts),
      'restart',
    )} of the Temporal dev server on the same database file, **${total(entries, (e) => e.postgresRestarts)}** of PostgreSQL`,
    `- **${Object.values(faults).reduce((a, b) => a + b, 0)}** LLM faults injected (${faultList || 'none'})`,
    `- **${total(entries, (e) => e.badInputsTried)}** bad inputs tried, **${total(entries, (e) => e.badInputsRefusedClearly)}** refused with their own error code and a message naming the input and the fix`,
    `- **${total(entries, (e) => e.secretLeaksProvoked)}** LLM errors made to quote the API key back; **${total(entries, (e) => e.historiesScanned)}** workflow histories, ${Math.round(total(entries, (e) => e.logBytesScanned) / 1024)} KB of logs, every API answer and every text column searched for secrets: **${secrets}** found`,
    `- Records lost: **${lost}**. Duplicate records: **${duplicates}**.`,
    '',
    '| Test | What was done to it | Outcome | Lost | Duplicates | Time |',
    '| --- | --- | --- | --- | --- | --- |',
    ...entries.map((e) => `| ${e.test} | ${doneToIt(e)} | ${outcome(e)} | ${e.recordsLost} | ${e.duplicates} | ${seconds(e.durationMs)} |`),
  ];
  return lines.join('\n');
}

/** Replaces what lies between the markers in README.md (the markers stay). */
function writeIntoReadme(markdown: string): void {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no ${START_MARKER} … ${END_MARKER} block; add it to the Durability section first.`);
  }
  writeFileSync(README, `${readme.slice(0, start + START_MARKER.length)}\n${markdown}\n${readme.slice(end)}`);
}

const markdown = renderChaosReport(latestEntries(readChaosReport()));
console.log(markdown);
if (process.argv.includes('--readme')) {
  writeIntoReadme(markdown);
  console.error('\nwritten into README.md');
}
