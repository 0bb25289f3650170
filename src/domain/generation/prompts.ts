// Prompt templates: a YAML map of name → template with `{placeholder}`s (defaults in
// configs/prompts.yaml, overridable in config and per dataset). A template that lost a required
// placeholder would quietly produce garbage, so it is rejected up front with the name of both.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { DATASET_TYPES, type DatasetType } from '../records';

export type PromptTemplates = Record<string, string>;

export const DEFAULT_PROMPTS_FILE = fileURLToPath(new URL('../../../configs/prompts.yaml', import.meta.url));

/** What each placeholder is for: quoted in errors so the fix is obvious. */
export const PLACEHOLDER_PURPOSES: Readonly<Record<string, string>> = {
  text: 'where the source text goes',
  sentences: "the source text's sentences, numbered",
  num_pairs: 'how many items to ask for',
  summary: 'a summary of the whole document',
  context: 'related passages retrieved from the corpus',
  records: 'where the examples to rate go',
  record: 'where the example goes',
  instruction: 'what kind of rewrite to make',
  num_variants: 'how many new examples to ask for',
  record_type: 'the kind of example (qa, cot …)',
};

export const REWRITE_KINDS = ['rephrase', 'new_question', 'harder', 'easier', 'paraphrase', 'format_variation'] as const;
export type RewriteKind = (typeof REWRITE_KINDS)[number];

export function generationPromptName(type: DatasetType): string {
  return `${type}_generation`;
}

export function rewriteInstructionName(kind: RewriteKind): string {
  return `rewrite_${kind}`;
}

/** Required placeholders of every prompt datacreek uses. */
export const PROMPT_REQUIREMENTS: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(DATASET_TYPES.map((type) => [generationPromptName(type), ['text', 'num_pairs']])),
  qa_grounded_generation: ['sentences', 'num_pairs'],
  document_summary: ['text'],
  judge: ['records'],
  groundedness: ['text', 'record'],
  record_rewrite: ['record', 'instruction', 'num_variants'],
  ...Object.fromEntries(REWRITE_KINDS.map((kind) => [rewriteInstructionName(kind), []])),
};

export class PromptTemplateError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `Invalid prompt templates:\n- ${problems.join('\n- ')}`);
    this.name = 'PromptTemplateError';
  }
}

const PLACEHOLDER = /\{([a-z_][a-z0-9_]*)\}/g;

/** The placeholders a template uses, in order of first use. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1]))];
}

export function usesPlaceholder(template: string, name: string): boolean {
  return placeholdersOf(template).includes(name);
}

/**
 * Checks every known prompt present in `prompts` for its required placeholders and throws one error
 * listing every problem. Prompts datacreek does not know are left alone (they may serve a pipeline).
 */
export function validatePromptTemplates(prompts: PromptTemplates): void {
  const problems: string[] = [];
  for (const [name, template] of Object.entries(prompts)) {
    if (typeof template !== 'string') {
      problems.push(`Prompt "${name}" must be a string template, got ${template === null ? 'null' : typeof template}.`);
      continue;
    }
    const present = placeholdersOf(template);
    for (const required of PROMPT_REQUIREMENTS[name] ?? []) {
      if (!present.includes(required)) {
        problems.push(
          `Prompt "${name}" is missing the placeholder {${required}} (${PLACEHOLDER_PURPOSES[required] ?? 'required'}). Add {${required}} to the template.`,
        );
      }
    }
  }
  if (problems.length > 0) throw new PromptTemplateError(problems);
}

/** The template called `name`, validated; a clear error if the prompt set lacks it. */
export function requirePrompt(prompts: PromptTemplates, name: string): string {
  const template = prompts[name];
  if (typeof template !== 'string' || template.trim() === '') {
    throw new PromptTemplateError([
      `No prompt named "${name}" is configured. Add it under prompts: in your config (the defaults are in configs/prompts.yaml).`,
    ]);
  }
  validatePromptTemplates({ [name]: template });
  return template;
}

/**
 * Fills `{placeholder}`s in one pass (a value that itself contains `{text}` is not expanded again).
 * A known placeholder with no value is an error naming the prompt; unknown brace words such as
 * `{example}` are left as written, so templates may show JSON or braces freely.
 */
export function renderPrompt(template: string, vars: Record<string, string | number>, promptName = 'template'): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (Object.hasOwn(vars, name)) return String(vars[name]);
    if (Object.hasOwn(PLACEHOLDER_PURPOSES, name)) {
      throw new PromptTemplateError([`Prompt "${promptName}" uses {${name}} (${PLACEHOLDER_PURPOSES[name]}) but no value was given for it.`]);
    }
    return whole;
  });
}

/** Reads a prompt YAML file (by default configs/prompts.yaml) and validates it. */
export function loadPromptTemplates(file: string = DEFAULT_PROMPTS_FILE): PromptTemplates {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read prompt templates from ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`Prompt file ${file} must be a YAML map of prompt name to template string`);
  }
  const prompts = parsed as PromptTemplates;
  validatePromptTemplates(prompts);
  return prompts;
}
