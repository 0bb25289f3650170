// /docs: a self-contained HTML page listing every operation of the OpenAPI document. No CDN (Swagger UI cannot
// load offline); the machine-readable document stays at /openapi.json.
interface Operation {
  summary?: string;
  tags?: string[];
  requestBody?: { content?: Record<string, unknown> };
}
/** The part of an OpenAPI document the page shows. */
export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths?: object;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function renderDocsPage(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, operations] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, Operation | undefined>>)) {
    for (const method of METHODS) {
      const op = operations[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      const bodyTypes = Object.keys(op.requestBody?.content ?? {}).join(', ');
      const row = `<tr><td class="m ${method}">${method.toUpperCase()}</td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(op.summary ?? '')}${
        bodyTypes ? `<div class="body">body: ${escapeHtml(bodyTypes)}</div>` : ''
      }</td></tr>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), row]);
    }
  }
  const sections = [...byTag.entries()].map(([tag, rows]) => `<h2>${escapeHtml(tag)}</h2><table>${rows.join('')}</table>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)} — API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}td{border-top:1px solid #ddd;padding:.4rem .5rem;vertical-align:top}
td.m{font-weight:600;width:5rem}.get{color:#0a6}.post{color:#06c}.patch{color:#a60}.delete{color:#c22}
code{font-size:14px}.body{color:#666;font-size:13px}
</style></head><body>
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? '')}</p>
<p>Every <code>/v1</code> route except <code>POST /v1/users</code> needs <code>X-API-Key: dck_…</code> (or <code>Authorization: Bearer dck_…</code>).
The full schema of every request and response is in <a href="/openapi.json">/openapi.json</a>.</p>
${sections}
</body></html>`;
}
