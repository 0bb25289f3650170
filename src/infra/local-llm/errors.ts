// A request the local server refuses as given: the server answers with this status and an OpenAI-style
// error body, so the openai client (and LlmClient's retry rules) treat it like any endpoint's refusal.
export class LocalRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'LocalRequestError';
  }
}
