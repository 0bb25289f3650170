// The prompt formats of InstructLab's model families, for completion-style endpoints: the rendered prompt
// becomes one user message in the family's chat format, followed by the assistant turn's opening. Each
// function gives what the family's chat template renders for exactly one user message with
// add_generation_prompt, trimmed as InstructLab trims it.
import { compileTemplate, renderTemplate } from './template';

const FAMILIES = {
  blank: (prompt: string) => prompt,
  merlinite: (prompt: string) => `<|user|>\n${prompt}\n<|assistant|>`,
  granite: (prompt: string) => `<|user|>\n${prompt}\n<|assistant|>`,
  mixtral: (prompt: string) => `<s> [INST] ${prompt} [/INST]`,
  mistral: (prompt: string) => `<s> [INST] ${prompt} [/INST]`,
  llama: (prompt: string) =>
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>' +
    `<|start_header_id|>user<|end_header_id|>\n\n${prompt.trim()}<|eot_id|><|start_header_id|>assistant<|end_header_id|>`,
} as const;

export type ModelFamily = keyof typeof FAMILIES;
export const MODEL_FAMILIES = Object.keys(FAMILIES) as ModelFamily[];
/** InstructLab's choice when neither the block nor the model name says. */
export const DEFAULT_MODEL_FAMILY: ModelFamily = 'merlinite';

export function isModelFamily(name: string): name is ModelFamily {
  return name in FAMILIES;
}

/** The family named explicitly, else guessed from the model name's first word (`mistral-7b` → mistral), else merlinite. */
export function resolveModelFamily(explicit: string | undefined, modelId: string): ModelFamily {
  if (explicit) {
    if (!isModelFamily(explicit)) throw new Error(`Unknown model family "${explicit}"; known families: ${MODEL_FAMILIES.join(', ')}`);
    return explicit;
  }
  const base = modelId.split('/').pop() ?? modelId;
  const guess = (/^\w*/.exec(base)?.[0] ?? '').toLowerCase();
  return isModelFamily(guess) ? guess : DEFAULT_MODEL_FAMILY;
}

/**
 * The text sent to `/v1/completions`. `modelPrompt` follows InstructLab: undefined → the family's format;
 * a non-empty string → a Jinja template over `prompt` and `messages`; "" → the prompt verbatim.
 */
export function wrapForCompletion(prompt: string, family: ModelFamily, modelPrompt: string | undefined): string {
  if (modelPrompt === undefined) return FAMILIES[family](prompt).trim();
  if (modelPrompt === '') return prompt.trim();
  const rendered = renderTemplate(compileTemplate(modelPrompt), {
    prompt,
    messages: [{ role: 'user', content: prompt }],
    add_generation_prompt: true,
  });
  if (!rendered.ok) throw new Error(`model_prompt could not be rendered: ${rendered.reason}`);
  return rendered.text.trim();
}
