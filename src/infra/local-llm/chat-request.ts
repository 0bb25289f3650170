// The part of the OpenAI chat-completions request the local server honours, validated at the edge, and the
// translation of its messages into node-llama-cpp's chat history (which the model's chat template renders).
import type { ChatHistoryItem } from 'node-llama-cpp';
import { z } from 'zod';

const textPart = z.object({ type: z.literal('text'), text: z.string() });

const messageSchema = z.object({
  // `developer` is OpenAI's newer name for the system role.
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPart), z.null()]),
});

const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
  }),
]);

export const chatRequestSchema = z.object({
  model: z.string().optional(),
  messages: z.array(messageSchema).min(1, 'messages must hold at least one message'),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  // Tiny models loop ("The answer is 1,230. The answer is 1,230. …"); these are the caller's remedy.
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  response_format: responseFormatSchema.nullish(),
  n: z
    .number()
    .int()
    .nullish()
    .refine((n) => n == null || n === 1, 'only n = 1 is supported by the local server'),
  stream: z
    .boolean()
    .nullish()
    .refine((stream) => !stream, 'streaming is not supported by the local server; send stream: false'),
  // Accepted and ignored: the local server returns no token log-probabilities (logprobs: null).
  logprobs: z.boolean().nullish(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;

type RequestMessage = ChatRequest['messages'][number];

export function messageText(message: RequestMessage): string {
  if (message.content === null) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => part.text).join('');
}

/** OpenAI messages → chat history; consecutive assistant messages stay separate model turns. */
export function toChatHistory(messages: ChatRequest['messages']): ChatHistoryItem[] {
  return messages.map((message): ChatHistoryItem => {
    const text = messageText(message);
    if (message.role === 'system' || message.role === 'developer') return { type: 'system', text };
    if (message.role === 'user') return { type: 'user', text };
    return { type: 'model', response: [text] };
  });
}

export function requestedMaxTokens(request: ChatRequest): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens ?? undefined;
}

/** OpenAI's frequency / presence penalties as llama.cpp's repeat penalty (negative values, which reward repeats, are ignored). */
export function repeatPenalty(request: ChatRequest): { frequencyPenalty?: number; presencePenalty?: number } | undefined {
  const frequencyPenalty = Math.max(0, request.frequency_penalty ?? 0);
  const presencePenalty = Math.max(0, request.presence_penalty ?? 0);
  if (frequencyPenalty === 0 && presencePenalty === 0) return undefined;
  return { frequencyPenalty, presencePenalty };
}

export function stopSequences(request: ChatRequest): string[] {
  if (request.stop == null) return [];
  return (Array.isArray(request.stop) ? request.stop : [request.stop]).filter((stop) => stop.length > 0);
}
