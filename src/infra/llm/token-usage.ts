// Sums the tokens an LlmClient spends, in total and per call site, from each response's `usage`.
import { addTokenCounts, emptyTokenCount, type TokenCount, type TokenUsage } from './types';

export class UsageMeter {
  private total = emptyTokenCount();
  private readonly byCallSite = new Map<string, TokenCount>();

  add(callSite: string, count: TokenCount): void {
    this.total = addTokenCounts(this.total, count);
    this.byCallSite.set(callSite, addTokenCounts(this.byCallSite.get(callSite) ?? emptyTokenCount(), count));
  }

  snapshot(): TokenUsage {
    return { ...this.total, byCallSite: Object.fromEntries([...this.byCallSite].map(([site, count]) => [site, { ...count }])) };
  }
}

/**
 * Endpoints that omit `usage` (some llama.cpp and Ollama builds, some proxies) would make a token
 * budget look free; about four characters per token is the usual estimate for English text.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
