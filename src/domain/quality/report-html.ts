// The quality report as one self-contained HTML page: inline CSS and inline SVG charts, no scripts,
// fonts or images from anywhere, so it opens offline and can be mailed or archived as one file.
import type { Distribution, QualityReport } from './report';

interface Bar {
  label: string;
  value: number;
}

const CHART_WIDTH = 560;
const BAR_COLOR = '#3b6ea8';
const ALERT_COLOR = '#b5473a';

export function renderQualityReportHtml(report: QualityReport): string {
  const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
  const cards: [string, string, boolean?][] = [
    ['Records', String(report.counts.total)],
    ['Vocabulary', report.diversity.vocabularySize.toLocaleString('en-US')],
    ['Unique instructions', percent(report.diversity.uniqueInstructionRatio), report.diversity.uniqueInstructionRatio < 0.8],
    ['Exact duplicates', percent(report.duplicates.exactRatio), report.duplicates.exactRatio > 0.05],
    ['Near duplicates', percent(report.duplicates.nearRatio), report.duplicates.nearRatio > 0.05],
    ['Records with PII', percent(report.pii.ratio), report.pii.recordsWithPii > 0],
    ['Toxic records', percent(report.toxicity.ratio), report.toxicity.ratio > 0.01],
    ['Mean score', report.scores.mean === null ? '—' : report.scores.mean.toFixed(2)],
  ];
  const sections = [
    section('Record types', horizontalBars('Records by type', toBars(report.counts.byType))),
    report.counts.byStatus ? section('Status', horizontalBars('Records by status', toBars(report.counts.byStatus))) : '',
    section(
      'Prompt length',
      distributionBlock('Prompt length (characters)', report.lengths.prompt.chars) + distributionBlock('Prompt length (tokens)', report.lengths.prompt.tokens),
    ),
    section(
      'Response length',
      distributionBlock('Response length (characters)', report.lengths.response.chars) +
        distributionBlock('Response length (tokens)', report.lengths.response.tokens),
    ),
    section(
      'Scores',
      verticalBars(
        'Records per score (1–10)',
        report.scores.histogram.map((b) => ({ label: String(b.score), value: b.count })),
      ) +
        `<p class="note">${report.scores.scored} scored, ${report.scores.unscored} unscored${report.scores.outOfRange ? `, ${report.scores.outOfRange} outside 1–10` : ''}.</p>`,
    ),
    section(
      'Languages',
      horizontalBars('Records by detected language', toBars(report.languages)) +
        (report.languageSample.detected < report.languageSample.of
          ? `<p class="note">Detected on an evenly spaced sample of ${report.languageSample.detected} of ${report.languageSample.of} records.</p>`
          : ''),
    ),
    section(
      'Personal information',
      horizontalBars('PII findings by kind', toBars(report.pii.findingsByKind), ALERT_COLOR) +
        `<p class="note">${report.pii.recordsWithPii} record(s) contain PII.</p>`,
    ),
    section(
      'Toxicity',
      (report.toxicity.topTerms.length > 0
        ? horizontalBars(
            'Most frequent listed terms (at any score)',
            report.toxicity.topTerms.map((t) => ({ label: t.term, value: t.count })),
            ALERT_COLOR,
          )
        : '<p class="note">No listed terms found.</p>') +
        `<p class="note">${report.toxicity.flaggedRecords} record(s) at score ≥ ${report.toxicity.threshold}; mean score ${report.toxicity.meanScore}.</p>`,
    ),
    section(
      'Duplicates',
      horizontalBars('Duplicate records', [
        { label: 'exact', value: report.duplicates.exact },
        { label: `near (Jaccard ≥ ${report.duplicates.nearThreshold})`, value: report.duplicates.near },
        { label: 'unique', value: report.counts.total - report.duplicates.exact - report.duplicates.near },
      ]),
    ),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>
  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430; background: #f6f7f9; margin: 0; }
  main { max-width: 1240px; margin: 0 auto; padding: 24px; }
  h1 { font-size: 24px; margin: 0 0 4px; }
  h2 { font-size: 18px; margin: 0 0 12px; }
  .meta, .note { color: #5b6473; font-size: 13px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; margin: 20px 0; }
  .card { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 12px 14px; }
  .card .value { font-size: 22px; font-weight: 600; }
  .card.alert .value { color: ${ALERT_COLOR}; }
  .card .label { color: #5b6473; font-size: 13px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(590px, 1fr)); gap: 16px; }
  section { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 16px; }
  table.stats { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; }
  table.stats td, table.stats th { padding: 2px 10px 2px 0; text-align: left; }
  svg text { font: 11px system-ui, sans-serif; fill: #1d2430; }
  svg .axis { stroke: #aab1bd; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(report.title)}</h1>
<div class="meta">Generated ${escapeHtml(report.generatedAt)} · ${report.counts.total} records</div>
<div class="cards">
${cards.map(([label, value, alert]) => `<div class="card${alert ? ' alert' : ''}"><div class="value">${escapeHtml(value)}</div><div class="label">${escapeHtml(label)}</div></div>`).join('\n')}
</div>
<div class="grid">
${sections.filter(Boolean).join('\n')}
</div>
</main>
</body>
</html>
`;
}

function section(title: string, body: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

function distributionBlock(title: string, d: Distribution): string {
  const stats = `<table class="stats"><tr><th>min</th><th>p50</th><th>mean</th><th>p90</th><th>max</th></tr><tr><td>${d.min}</td><td>${d.p50}</td><td>${d.mean}</td><td>${d.p90}</td><td>${d.max}</td></tr></table>`;
  const bars = d.histogram.map((b) => ({ label: b.from === b.to ? String(b.from) : `${b.from}–${b.to}`, value: b.count }));
  return verticalBars(title, bars) + stats;
}

/** A column chart: one bar per bucket, labels under the bars, counts above them. */
export function verticalBars(title: string, bars: Bar[], color = BAR_COLOR): string {
  if (bars.length === 0) return `<p class="note">${escapeHtml(title)}: no data.</p>`;
  const height = 205;
  const top = 28;
  const bottom = 55;
  const left = 8;
  const plotHeight = height - top - bottom;
  const slot = (CHART_WIDTH - left * 2) / bars.length;
  const barWidth = Math.max(2, slot * 0.8);
  const max = Math.max(1, ...bars.map((b) => b.value));
  const shapes = bars
    .map((bar, i) => {
      const h = (bar.value / max) * plotHeight;
      const x = left + i * slot + (slot - barWidth) / 2;
      const y = top + plotHeight - h;
      const cx = x + barWidth / 2;
      return (
        `<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(barWidth)}" height="${fmt(h)}" fill="${color}"><title>${escapeHtml(bar.label)}: ${bar.value}</title></rect>` +
        `<text x="${fmt(cx)}" y="${fmt(y - 4)}" text-anchor="middle">${bar.value}</text>` +
        `<text x="${fmt(cx)}" y="${fmt(top + plotHeight + 14)}" text-anchor="end" transform="rotate(-30 ${fmt(cx)} ${fmt(top + plotHeight + 14)})">${escapeHtml(bar.label)}</text>`
      );
    })
    .join('');
  return (
    `<svg class="chart" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${CHART_WIDTH} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${escapeHtml(title)}</title><text x="${left}" y="14" font-weight="600">${escapeHtml(title)}</text>` +
    `<line class="axis" x1="${left}" y1="${top + plotHeight}" x2="${CHART_WIDTH - left}" y2="${top + plotHeight}"/>${shapes}</svg>`
  );
}

/** A bar chart with one labelled row per category. */
export function horizontalBars(title: string, bars: Bar[], color = BAR_COLOR): string {
  if (bars.length === 0) return `<p class="note">${escapeHtml(title)}: no data.</p>`;
  const rowHeight = 22;
  const top = 24;
  const labelWidth = 170;
  const valueWidth = 50;
  const height = top + bars.length * rowHeight + 6;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const plotWidth = CHART_WIDTH - labelWidth - valueWidth;
  const rows = bars
    .map((bar, i) => {
      const y = top + i * rowHeight;
      const w = (bar.value / max) * plotWidth;
      return (
        `<text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(truncate(bar.label, 28))}</text>` +
        `<rect x="${labelWidth}" y="${y + 4}" width="${fmt(w)}" height="${rowHeight - 8}" fill="${color}"><title>${escapeHtml(bar.label)}: ${bar.value}</title></rect>` +
        `<text x="${fmt(labelWidth + w + 4)}" y="${y + 15}">${bar.value}</text>`
      );
    })
    .join('');
  return (
    `<svg class="chart" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${CHART_WIDTH} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${escapeHtml(title)}</title><text x="0" y="14" font-weight="600">${escapeHtml(title)}</text>${rows}</svg>`
  );
}

function toBars(counts: Record<string, number>): Bar[] {
  return Object.entries(counts).map(([label, value]) => ({ label, value }));
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}
