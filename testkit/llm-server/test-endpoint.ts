// Endpoint configs for tests that point datacreek's LlmClient at the test server.
import type { LlmEndpointConfig } from '../../src/infra/llm/types';

export function testEndpointConfig(url: string, overrides: Partial<LlmEndpointConfig> = {}): LlmEndpointConfig {
  return {
    baseURL: url,
    apiKey: 'test-key',
    model: 'datacreek-test-llm',
    timeoutMs: 5_000,
    maxRetries: 3,
    maxConcurrency: 8,
    structuredOutput: 'json_schema',
    temperature: 0.2,
    ...overrides,
  };
}

/** A paragraph with enough distinct sentences for several items of every type. */
export const SAMPLE_TEXT = [
  'The Rhine is a major European river that rises in the Swiss Alps and flows into the North Sea.',
  'It forms part of the border between Switzerland and Germany and later between France and Germany.',
  'Barges carry coal, grain and containers along the Rhine, making it one of the busiest waterways in the world.',
  'The river passes through cities such as Basel, Strasbourg, Cologne and Rotterdam on its way north.',
  'Its middle section, the Rhine Gorge, is a UNESCO World Heritage Site known for castles and vineyards.',
  'Floods on the Rhine in 1993 and 1995 led to large investments in retention areas and dike reinforcement.',
].join(' ');
