import { describe, expect, it } from 'vitest';
import {
  PROMPT_REQUIREMENTS,
  PromptTemplateError,
  loadPromptTemplates,
  placeholdersOf,
  renderPrompt,
  requirePrompt,
  validatePromptTemplates,
} from '../../../src/domain/generation/prompts';

describe('prompt templates', () => {
  it('ships a default set that covers every prompt datacreek uses and passes validation', () => {
    const prompts = loadPromptTemplates();
    for (const name of Object.keys(PROMPT_REQUIREMENTS)) expect(typeof prompts[name], name).toBe('string');
    expect(() => validatePromptTemplates(prompts)).not.toThrow();
  });

  it('rejects a qa prompt without {text}, naming the prompt and the placeholder', () => {
    expect(() => validatePromptTemplates({ qa_generation: 'Create {num_pairs} pairs about the document.' })).toThrow(
      'Prompt "qa_generation" is missing the placeholder {text} (where the source text goes). Add {text} to the template.',
    );
  });

  it('lists every problem at once', () => {
    const error = (() => {
      try {
        validatePromptTemplates({ judge: 'Rate these.', groundedness: 'Source: {text}', custom_prompt: 'anything {goes}' });
      } catch (e) {
        return e;
      }
    })() as PromptTemplateError;
    expect(error).toBeInstanceOf(PromptTemplateError);
    expect(error.problems).toEqual([
      expect.stringContaining('Prompt "judge" is missing the placeholder {records}'),
      expect.stringContaining('Prompt "groundedness" is missing the placeholder {record}'),
    ]);
  });

  it('renders in one pass, leaves unknown braces alone and names a missing value', () => {
    const template = 'Text: {text}\nExample: {"question": "…"} {example}\nCount: {num_pairs}';
    expect(renderPrompt(template, { text: 'say {num_pairs}', num_pairs: 3 })).toBe('Text: say {num_pairs}\nExample: {"question": "…"} {example}\nCount: 3');
    expect(() => renderPrompt('About: {summary} {text}', { text: 'x' }, 'qa_generation')).toThrow(
      'Prompt "qa_generation" uses {summary} (a summary of the whole document) but no value was given for it.',
    );
    expect(placeholdersOf('{text} {text} {context}')).toEqual(['text', 'context']);
  });

  it('says where to add a prompt that is not configured', () => {
    expect(() => requirePrompt({}, 'judge')).toThrow(/No prompt named "judge" is configured.*configs\/prompts\.yaml/);
  });
});
