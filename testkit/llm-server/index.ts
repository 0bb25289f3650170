// The project's OpenAI-compatible test LLM server: import this from tests and benchmarks.
export { startTestLlmServer, type TestLlmServer } from './server';
export { defaultOptions, FAULT_KINDS, type FaultKind, type TestLlmServerOptions, type TestLlmServerOptionsPatch } from './options';
export type { ServerStats, TimelineSecond } from './stats';
export { embedText } from './embeddings';
