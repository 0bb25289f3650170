// Printing helpers shared by the benchmarks: every figure with its ratio to the limit or target it is judged by.

export type Log = (line: string) => void;

export const consoleLog: Log = (line) => console.log(line);

/** "  name  value unit  → 0.93× target ≥ 0.90" (higher is better) or "≤" (lower is better). */
export function figure(name: string, value: number, unit: string, target?: { atLeast?: number; atMost?: number; of?: string }): string {
  const shown = `${formatNumber(value)}${unit ? ` ${unit}` : ''}`;
  let judged = '';
  if (target?.atLeast !== undefined) {
    judged = `→ ${(value / target.atLeast).toFixed(2)}× the target ≥ ${formatNumber(target.atLeast)}${target.of ? ` ${target.of}` : ''} ${value >= target.atLeast ? '(met)' : '(MISSED)'}`;
  } else if (target?.atMost !== undefined) {
    judged = `→ ${(value / target.atMost).toFixed(2)}× the limit ≤ ${formatNumber(target.atMost)}${target.of ? ` ${target.of}` : ''} ${value <= target.atMost ? '(met)' : '(MISSED)'}`;
  }
  return `  ${name.padEnd(34)} ${shown.padStart(16)}   ${judged}`.trimEnd();
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(3);
}

/** A per-second strip of slot occupancy, 0–9 tenths of C ("9" = 90–100 % busy): shows where the endpoint idled. */
export function occupancyStrip(samples: { t: number; inFlight: number }[], slots: number, fromMs = 0): string {
  const seconds = new Map<number, number[]>();
  for (const s of samples) {
    if (s.t < fromMs) continue;
    const second = Math.floor((s.t - fromMs) / 1000);
    (seconds.get(second) ?? seconds.set(second, []).get(second)!).push(s.inFlight);
  }
  let strip = '';
  for (const [, values] of [...seconds].sort((a, b) => a[0] - b[0])) {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    strip += String(Math.min(9, Math.floor((mean / slots) * 10)));
  }
  return strip;
}
