/**
 * A small client for OpenAI-compatible `POST {baseUrl}/chat/completions` (OpenAI, vLLM, Ollama,
 * llama.cpp server, and other hosted APIs that copy the format).
 *
 * Reliability policy: every attempt has its own timeout. Transient failures are retried with
 * exponential backoff and jitter: HTTP 408/409/429/5xx, timeouts, network errors (refused or
 * reset connections, a body cut off mid-way) and 2xx bodies that are not the expected JSON
 * (proxies and overloaded servers produce these). A retryable response carrying Retry-After
 * (seconds or an HTTP date) or retry-after-ms waits that long instead (capped by maxRetryAfterMs). After `maxRetries` retries the call
 * fails with a ChatRequestError that names the endpoint, the attempt count and the last cause.
 * Other 4xx are the request's fault and fail at once. The API key never appears in errors.
 *
 * A run of many requests shares one ConnectionWatch: attempts that reach no server at all
 * (refused, unresolvable or unreachable host, connection dropped before a response) are counted
 * across requests, any response resets the count, and at the watch's limit every request stops
 * with a ConnectionFailuresError, so a dead endpoint costs seconds, not minutes of retries.
 */
import { InputError } from '../errors';
import { abortReason } from './concurrency';

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Which endpoint, model and key a `ChatClient` uses, and its timeout and retry policy (see the module comment). */
export interface ChatClientOptions {
  /** Default: env EMISHIFT_CHAT_BASE_URL, else https://api.openai.com/v1. Include the /v1. */
  baseUrl?: string | undefined;
  /** Default: env EMISHIFT_CHAT_MODEL; required one way or the other. */
  model?: string | undefined;
  /** Default: env EMISHIFT_CHAT_API_KEY, else OPENAI_API_KEY; local servers need none. */
  apiKey?: string | undefined;
  /** Per-attempt limit, covering the wait for headers and reading the body. Default 120 000 ms. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt. Default 5 (6 attempts in all). */
  maxRetries?: number | undefined;
  /** Backoff before retry k (0-based) is min(maxBackoffMs, initialBackoffMs·2^k) scaled by a jitter in [0.5, 1). Default 1000 ms. */
  initialBackoffMs?: number | undefined;
  /** The longest backoff between retries. Default 30 000 ms. */
  maxBackoffMs?: number | undefined;
  /** Longest Retry-After honoured; a longer one is shortened to this. Default 120 000 ms. */
  maxRetryAfterMs?: number | undefined;
  /** Jitter source, uniform in [0, 1); pass a seeded one (src/random.ts) for reproducible timing. */
  random?: (() => number) | undefined;
  /** Extra request headers (e.g. an organisation header). */
  headers?: Record<string, string> | undefined;
  /** Environment to read defaults from; default process.env. */
  env?: Record<string, string | undefined> | undefined;
}

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export type ContentPart = TextPart | ImagePart;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export interface ChatCompletionRequest {
  messages: ChatMessage[];
  /** Sent as max_tokens (what vLLM, Ollama and llama.cpp read); use `extraBody` for max_completion_tokens. */
  maxTokens?: number;
  temperature?: number;
  /** Merged into the JSON body as is (seed, top_p, max_completion_tokens, ...). */
  extraBody?: Record<string, unknown>;
}

export interface ChatCompletionResult {
  /** The first choice's message content ('' when the server sent null, e.g. a content filter). */
  text: string;
  finishReason: string | null;
  /** The model the server says answered (may differ from the requested name). */
  model: string | null;
  id: string | null;
  usage?: Record<string, unknown>;
  /** Wall time of the successful attempt. */
  latencyMs: number;
  attempts: number;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Shared by the requests of one run; see ConnectionWatch. */
  connectionWatch?: ConnectionWatch | undefined;
}

/** A chat request that failed for good (after its retries), with the last status and error. */
export class ChatRequestError extends Error {
  /** HTTP status of the last attempt, when there was a response. */
  readonly status?: number;
  readonly attempts: number;
  /** True when retrying this kind of error could help (it was retried until the budget ran out). */
  readonly retryable: boolean;
  /**
   * True when every later request will fail the same way (bad key, unknown endpoint or model),
   * so a batch should stop instead of spending a request per row.
   */
  readonly fatal: boolean;

  constructor(message: string, details: { status?: number; attempts: number; retryable: boolean; fatal?: boolean; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ChatRequestError';
    this.status = details.status;
    this.attempts = details.attempts;
    this.retryable = details.retryable;
    this.fatal = details.fatal ?? false;
  }
}

/**
 * Stops a run against an endpoint that cannot be reached: counts consecutive connection
 * failures over every request that shares it, resets on any response, and is tripped at `limit`.
 */
export class ConnectionWatch {
  readonly limit: number;
  private consecutive = 0;
  private last: { endpoint: string; message: string } | undefined;

  /** `limit`: consecutive failures that stop the run (a positive integer, or Infinity for never). */
  constructor(limit = 5) {
    if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 1))) throw new InputError(`must be a positive integer, got ${String(limit)}`, { field: 'maxConnectionFailures' });
    this.limit = limit;
  }

  /** Whether the limit was reached; it stays reached. */
  get tripped(): boolean {
    return this.consecutive >= this.limit;
  }

  /** Consecutive connection failures so far. */
  get failures(): number {
    return this.consecutive;
  }

  /** One attempt at `endpoint` reached no server; `message` says how. */
  recordFailure(endpoint: string, message: string): void {
    this.consecutive++;
    this.last = { endpoint, message };
  }

  /** An attempt got a response (of any status): the endpoint is reachable, the count restarts. */
  recordResponse(): void {
    if (!this.tripped) this.consecutive = 0;
  }

  /** The error every request of the run stops with once tripped. */
  error(): ConnectionFailuresError {
    return new ConnectionFailuresError(this.last?.endpoint ?? '', this.consecutive, this.last?.message ?? '');
  }
}

/** A run stopped because the endpoint could not be reached `failures` times in a row. */
export class ConnectionFailuresError extends ChatRequestError {
  readonly endpoint: string;
  readonly failures: number;
  readonly lastError: string;

  constructor(endpoint: string, failures: number, lastError: string) {
    super(`cannot reach ${endpoint}: ${failures} connection failures in a row, the last: ${lastError}`, { attempts: failures, retryable: false, fatal: true });
    this.name = 'ConnectionFailuresError';
    this.endpoint = endpoint;
    this.failures = failures;
    this.lastError = lastError;
  }
}

/** One failed attempt, classified. */
interface AttemptFailure {
  retryable: boolean;
  /** No response at all: the connection could not be made or broke before the headers. */
  connection?: boolean;
  fatal?: boolean;
  status?: number;
  message: string;
  retryAfterMs?: number;
  cause?: unknown;
}

function nonNegative(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0) throw new InputError(`must be a non-negative number, got ${String(value)}`, { field });
  return value;
}

/** Retry-After is either delta-seconds or an HTTP date; retry-after-ms is OpenAI's finer variant. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${current.message} (${code})` : current.message);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.length > 0 ? parts.join(': ') : String(error);
}

function snippet(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The endpoint URL: the base plus /chat/completions, unless the base already names it. */
export function chatCompletionsUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new InputError(`'${baseUrl}' is not a URL (expected e.g. http://localhost:8000/v1)`, { field: 'baseUrl' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(`'${baseUrl}' must be http or https`, { field: 'baseUrl' });
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/chat/completions') ? path : `${path}/chat/completions`;
  return url.toString();
}

/** A client for an OpenAI-compatible `/v1/chat/completions` endpoint: timeouts, retries with backoff (honouring Retry-After), and a stop after repeated connection failures. */
export class ChatClient {
  readonly baseUrl: string;
  readonly model: string;
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  private readonly apiKey: string | undefined;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;
  private readonly headers: Record<string, string>;

  constructor(options: ChatClientOptions = {}) {
    const env = options.env ?? process.env;
    const nonEmpty = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);
    this.baseUrl = nonEmpty(options.baseUrl) ?? nonEmpty(env.EMISHIFT_CHAT_BASE_URL) ?? DEFAULT_BASE_URL;
    const model = nonEmpty(options.model) ?? nonEmpty(env.EMISHIFT_CHAT_MODEL);
    if (model === undefined) throw new InputError('no model name: pass `model` or set EMISHIFT_CHAT_MODEL', { field: 'model' });
    this.model = model;
    this.apiKey = nonEmpty(options.apiKey) ?? nonEmpty(env.EMISHIFT_CHAT_API_KEY) ?? nonEmpty(env.OPENAI_API_KEY);
    this.endpoint = chatCompletionsUrl(this.baseUrl);
    this.timeoutMs = nonNegative(options.timeoutMs ?? 120_000, 'timeoutMs');
    if (this.timeoutMs === 0) throw new InputError('must be positive', { field: 'timeoutMs' });
    const maxRetries = options.maxRetries ?? 5;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new InputError(`must be a non-negative integer, got ${String(maxRetries)}`, { field: 'maxRetries' });
    this.maxRetries = maxRetries;
    this.initialBackoffMs = nonNegative(options.initialBackoffMs ?? 1000, 'initialBackoffMs');
    this.maxBackoffMs = nonNegative(options.maxBackoffMs ?? 30_000, 'maxBackoffMs');
    this.maxRetryAfterMs = nonNegative(options.maxRetryAfterMs ?? 120_000, 'maxRetryAfterMs');
    this.random = options.random ?? Math.random;
    this.headers = { ...(options.headers ?? {}) };
  }

  /** Whether a key was configured (never the key itself). */
  get hasApiKey(): boolean {
    return this.apiKey !== undefined;
  }

  /** The delay before retry number `retry` (0-based) when the server gave no Retry-After. */
  backoffMs(retry: number): number {
    const ceiling = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** retry);
    // Jitter spreads retries of requests that failed together (one 429 burst) over time.
    return ceiling * (0.5 + 0.5 * this.random());
  }

  async complete(request: ChatCompletionRequest, options: CallOptions = {}): Promise<ChatCompletionResult> {
    const body: Record<string, unknown> = { model: this.model, messages: request.messages };
    if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    Object.assign(body, request.extraBody ?? {});
    const payload = JSON.stringify(body);
    const signal = options.signal;
    const watch = options.connectionWatch;
    let last: AttemptFailure | undefined;
    for (let attempt = 1; attempt <= this.maxRetries + 1; attempt++) {
      if (signal?.aborted) throw abortReason(signal);
      if (watch?.tripped) throw watch.error();
      const outcome = await this.attempt(payload, signal);
      if ('failure' in outcome && outcome.failure.connection) watch?.recordFailure(this.endpoint, outcome.failure.message);
      else watch?.recordResponse();
      if ('result' in outcome) return { ...outcome.result, attempts: attempt };
      last = outcome.failure;
      if (watch?.tripped) throw watch.error();
      if (!last.retryable || attempt > this.maxRetries) {
        const hint = last.status === 401 || last.status === 403 ? (this.hasApiKey ? ' (check the API key)' : ' (no API key set: EMISHIFT_CHAT_API_KEY or OPENAI_API_KEY)') : '';
        throw new ChatRequestError(
          `chat completion failed after ${attempt} attempt${attempt === 1 ? '' : 's'} (POST ${this.endpoint}, model ${this.model}): ${last.message}${hint}`,
          { status: last.status, attempts: attempt, retryable: last.retryable, fatal: last.fatal, cause: last.cause },
        );
      }
      const wait = last.retryAfterMs !== undefined ? Math.min(last.retryAfterMs, this.maxRetryAfterMs) : this.backoffMs(attempt - 1);
      await sleep(wait, signal);
    }
    throw new Error('unreachable');
  }

  private async attempt(payload: string, signal: AbortSignal | undefined): Promise<{ result: Omit<ChatCompletionResult, 'attempts'> } | { failure: AttemptFailure }> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    // A listener per attempt, removed afterwards: one long-lived signal shared by hundreds of
    // requests would otherwise accumulate listeners.
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...this.headers };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    const started = performance.now();
    try {
      let response: Response | undefined;
      let text: string;
      try {
        response = await fetch(this.endpoint, { method: 'POST', headers, body: payload, signal: controller.signal });
        text = await response.text();
      } catch (error) {
        if (signal?.aborted) throw abortReason(signal);
        if (timedOut) return { failure: { retryable: true, message: `no complete response within ${this.timeoutMs} ms`, cause: error } };
        // Without headers nothing reached a server; a body cut off mid-way did reach one.
        return { failure: { retryable: true, connection: response === undefined, message: `network error: ${describeNetworkError(error)}`, cause: error } };
      }
      const latencyMs = performance.now() - started;
      if (!response.ok) {
        const status = response.status;
        const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
        const fatal = status === 401 || status === 403 || status === 404;
        return {
          failure: {
            retryable,
            fatal,
            status,
            message: `HTTP ${status}${text.trim() === '' ? '' : `: ${snippet(text)}`}`,
            retryAfterMs: retryable ? parseRetryAfter(response.headers) : undefined,
          },
        };
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { failure: { retryable: true, status: response.status, message: `malformed JSON in the response body: ${snippet(text, 120)}` } };
      }
      const choice = (parsed as { choices?: unknown })?.choices;
      const first = Array.isArray(choice) ? (choice[0] as { message?: { content?: unknown }; finish_reason?: unknown } | undefined) : undefined;
      const content = first?.message?.content;
      if (first === undefined || first.message === undefined || (content !== null && content !== undefined && typeof content !== 'string')) {
        return { failure: { retryable: true, status: response.status, message: `response is not a chat completion (no choices[0].message): ${snippet(text, 120)}` } };
      }
      const object = parsed as { id?: unknown; model?: unknown; usage?: unknown };
      return {
        result: {
          text: typeof content === 'string' ? content : '',
          finishReason: typeof first.finish_reason === 'string' ? first.finish_reason : null,
          model: typeof object.model === 'string' ? object.model : null,
          id: typeof object.id === 'string' ? object.id : null,
          usage: object.usage !== null && typeof object.usage === 'object' ? (object.usage as Record<string, unknown>) : undefined,
          latencyMs,
        },
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

export function createChatClient(options: ChatClientOptions = {}): ChatClient {
  return new ChatClient(options);
}

/** The MIME type of encoded image bytes from their magic number, or undefined if unrecognised. */
export function imageMimeType(bytes: Uint8Array): string | undefined {
  const starts = (...prefix: number[]): boolean => prefix.every((byte, i) => bytes[i] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (bytes.length >= 12 && starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return 'image/webp';
  if (starts(0x42, 0x4d)) return 'image/bmp';
  return undefined;
}

/** An `image_url` content part carrying the bytes inline as a base64 data URL. */
export function imagePart(bytes: Uint8Array, mimeType: string, detail?: 'auto' | 'low' | 'high'): ImagePart {
  const url = `data:${mimeType};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
  return { type: 'image_url', image_url: detail === undefined ? { url } : { url, detail } };
}
