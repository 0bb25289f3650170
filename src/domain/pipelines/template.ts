// Jinja templates rendered per row, through nunjucks (Jinja2's JavaScript sibling). Configured as InstructLab
// configures Jinja: no HTML escaping, and an undefined variable is an error (StrictUndefined), so a row that
// lacks a column the prompt needs is reported instead of being sent with a hole in it.
import nunjucks from 'nunjucks';

const environment = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });

export class TemplateError extends Error {}

/** Compiles once; throws TemplateError with nunjucks' message when the text is not a valid template. */
export function compileTemplate(source: string): nunjucks.Template {
  try {
    return new nunjucks.Template(source, environment, undefined, true);
  } catch (error) {
    throw new TemplateError(error instanceof Error ? error.message : String(error));
  }
}

/** The row's values as the template sees them; null becomes "" (Jinja would print "None"). */
function templateContext(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value ?? '']));
}

/** Renders the template for one row, or names the missing column. */
export function renderTemplate(template: nunjucks.Template, row: Record<string, unknown>): { ok: true; text: string } | { ok: false; reason: string } {
  try {
    return { ok: true, text: template.render(templateContext(row)) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const missing = /attempted to output null or undefined value/.test(message);
    const variables = missing ? templateVariables(template).filter((name) => !(name in row) || row[name] === undefined) : [];
    return {
      ok: false,
      reason: missing
        ? `missing_column: the row has no ${variables.map((v) => `"${v}"`).join(', ') || 'value for a template variable'}`
        : `template_error: ${message.split('\n').pop()?.trim()}`,
    };
  }
}

interface AstNode {
  typename?: string;
  value?: unknown;
  children?: AstNode[];
  [key: string]: unknown;
}

/**
 * Top-level variables a template reads (`{{document}}`, `{% if x %}`), without names it binds itself
 * (`{% set %}`, `{% for %}` targets): what the rows must provide.
 */
export function templateVariables(source: string | nunjucks.Template): string[] {
  const text = typeof source === 'string' ? source : ((source as unknown as { tmplStr: string }).tmplStr ?? '');
  const parser = (nunjucks as unknown as { parser: { parse(src: string): AstNode } }).parser;
  const root = parser.parse(text);
  const used = new Set<string>();
  const bound = new Set<string>();
  const visit = (node: unknown, lookupTarget = false): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as AstNode;
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (n.typename === 'Symbol' && typeof n.value === 'string') {
      if (!lookupTarget) used.add(n.value);
      return;
    }
    if (n.typename === 'Set' && Array.isArray(n.targets)) for (const t of n.targets as AstNode[]) if (typeof t.value === 'string') bound.add(t.value);
    if (n.typename === 'For' && n.name && typeof (n.name as AstNode).value === 'string') bound.add((n.name as AstNode).value as string);
    for (const [key, value] of Object.entries(n)) {
      if (key === 'typename' || key === 'lineno' || key === 'colno') continue;
      if (n.typename === 'LookupVal' && key === 'val') continue;
      if ((n.typename === 'Set' && key === 'targets') || (n.typename === 'For' && key === 'name')) continue;
      visit(value);
    }
  };
  visit(root);
  return [...used].filter((name) => !bound.has(name) && !['loop', 'true', 'false', 'none', 'True', 'False', 'None'].includes(name));
}
