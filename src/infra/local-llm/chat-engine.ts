// Chat completions on a local GGUF model: one llama.cpp context with N sequences, one LlamaChat per
// sequence, requests beyond N queued in order. node-llama-cpp batches the tokens of all busy sequences
// into one evaluation, so N parallel requests cost far less than N times one. A JSON response_format
// becomes a grammar that constrains sampling, so the answer is valid JSON by construction (up to the
// token limit, which a client sees as finish_reason "length").
import type { ChatHistoryItem, GbnfJsonSchema, Llama, LlamaChat, LlamaContext, LlamaGrammar, LlamaModel } from 'node-llama-cpp';
import { repeatPenalty, requestedMaxTokens, stopSequences, toChatHistory, type ChatRequest } from './chat-request';
import { toGrammarSchema } from './json-schema-grammar';
import { LocalRequestError } from './errors';
import { loadNodeLlamaCpp } from './runtime';
import { SlotPool } from './slot-pool';

export interface ChatEngineOptions {
  /** Requests evaluated at once (context sequences). */
  parallelSequences: number;
  /** Tokens per sequence (prompt + answer). */
  contextSize: number;
  /** CPU threads for evaluation. */
  threads: number;
  /** Called when a schema falls back to the generic JSON grammar, with the reason. */
  onNotice?: (message: string) => void;
}

export type FinishReason = 'stop' | 'length';

export interface ChatCompletion {
  content: string;
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
}

const GRAMMAR_CACHE_SIZE = 32;

export class ChatEngine {
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly slots: SlotPool<LlamaChat>,
    private readonly chats: LlamaChat[],
    private readonly options: ChatEngineOptions,
  ) {}

  static async create(llama: Llama, model: LlamaModel, options: ChatEngineOptions): Promise<ChatEngine> {
    const { LlamaChat } = await loadNodeLlamaCpp();
    const contextSize = Math.min(options.contextSize, model.trainContextSize);
    const context = await model.createContext({ sequences: options.parallelSequences, contextSize, threads: options.threads });
    const chats = Array.from({ length: options.parallelSequences }, () => new LlamaChat({ contextSequence: context.getSequence() }));
    return new ChatEngine(llama, model, context, new SlotPool(chats), chats, { ...options, contextSize: context.contextSize });
  }

  /** Tokens one request may use, prompt and answer together. */
  get contextSize(): number {
    return this.options.contextSize;
  }

  get queued(): number {
    return this.slots.queued;
  }

  async complete(request: ChatRequest, signal: AbortSignal): Promise<ChatCompletion> {
    const history = toChatHistory(request.messages);
    const grammar = await this.grammarFor(request);
    const chat = await this.slots.acquire(signal);
    try {
      const promptTokens = this.countPromptTokens(chat, history);
      // One token of room is needed to answer at all; a prompt that leaves none would be silently cut by a
      // context shift, so it is refused with the numbers instead.
      const room = this.options.contextSize - promptTokens;
      if (room < 1) {
        throw new LocalRequestError(
          400,
          `the prompt is ${promptTokens} tokens, more than the local model's context of ${this.options.contextSize} tokens per request; ` +
            'send less text per request or raise the local context size',
          'messages',
        );
      }
      const wanted = requestedMaxTokens(request);
      const maxTokens = Math.min(wanted ?? room, room);
      let completionTokens = 0;
      const response = await chat.generateResponse(history, {
        grammar,
        maxTokens,
        temperature: request.temperature ?? undefined,
        topP: request.top_p ?? undefined,
        seed: request.seed ?? undefined,
        repeatPenalty: repeatPenalty(request),
        customStopTriggers: stopSequences(request),
        signal,
        onToken: (tokens) => {
          completionTokens += tokens.length;
        },
      });
      const stoppedAtLimit = response.metadata.stopReason === 'maxTokens';
      return {
        content: response.response,
        // The limit the caller set is "length"; so is running out of context, which the caller could not see.
        finishReason: stoppedAtLimit ? 'length' : 'stop',
        promptTokens,
        completionTokens,
      };
    } finally {
      this.slots.release(chat);
    }
  }

  async close(): Promise<void> {
    this.slots.close(new Error('the local LLM server is shutting down'));
    for (const chat of this.chats) chat.dispose();
    await this.context.dispose();
  }

  private countPromptTokens(chat: LlamaChat, history: ChatHistoryItem[]): number {
    // The rendered chat including the opening of the model's turn: what the sequence actually evaluates.
    const opensModelTurn = history.at(-1)?.type !== 'model';
    const chatHistory: ChatHistoryItem[] = opensModelTurn ? [...history, { type: 'model', response: [] }] : history;
    const { contextText } = chat.chatWrapper.generateContextState({ chatHistory });
    return contextText.tokenize(this.model.tokenizer).length;
  }

  private grammarFor(request: ChatRequest): Promise<LlamaGrammar | undefined> {
    const format = request.response_format;
    if (!format || format.type === 'text') return Promise.resolve(undefined);
    if (format.type === 'json_object' || !format.json_schema.schema) return this.genericJsonGrammar();
    const name = format.json_schema.name ?? 'unnamed';
    const translated = toGrammarSchema(format.json_schema.schema);
    if (!translated.ok) {
      this.notice(`response_format schema "${name}" cannot be a grammar (${translated.reason})`);
      return this.genericJsonGrammar();
    }
    return this.cachedGrammar(JSON.stringify(translated.schema), () =>
      this.llama.createGrammarForJsonSchema<GbnfJsonSchema>(translated.schema).catch((error: unknown) => {
        this.notice(`response_format schema "${name}" could not be compiled to a grammar (${error instanceof Error ? error.message : String(error)})`);
        return this.llama.getGrammarFor('json');
      }),
    );
  }

  /** Any JSON object: still parseable by construction; the client's zod schema checks the shape. */
  private genericJsonGrammar(): Promise<LlamaGrammar> {
    return this.cachedGrammar('json', () => this.llama.getGrammarFor('json'));
  }

  private notice(problem: string): void {
    this.options.onNotice?.(`${problem}; constraining to generic JSON instead (the client still validates the shape)`);
  }

  /** Grammars are compiled once per distinct schema: a batch asks with the same schema hundreds of times. */
  private cachedGrammar(key: string, create: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    let grammar = this.grammars.get(key);
    if (grammar) {
      // Re-insert to mark it recently used.
      this.grammars.delete(key);
      this.grammars.set(key, grammar);
      return grammar;
    }
    grammar = create();
    grammar.catch(() => this.grammars.delete(key));
    this.grammars.set(key, grammar);
    if (this.grammars.size > GRAMMAR_CACHE_SIZE) this.grammars.delete(this.grammars.keys().next().value!);
    return grammar;
  }
}
