/**
 * Text embeddings from a served model over the OpenAI-compatible `POST /v1/embeddings` API, as
 * offered by vLLM (`vllm serve <model> --task embed`), Hugging Face TEI, Ollama and OpenAI itself.
 *
 * That API takes text only: there is no image input, so this embedder has no `embedImages` and
 * image queries need the built-in or the CLIP embedder.
 *
 * Requests carry up to `batchSize` texts each, at most `concurrency` at a time, each with its own
 * timeout. A 429, any 5xx, a timeout or a connection failure is retried with exponential backoff
 * (a `Retry-After` header, when sent, sets the wait instead); other 4xx responses mean the request
 * itself is wrong and fail at once. The service's dimension is learnt from the first response
 * and every later response must match it, because a changing dimension means the server is not
 * serving one model and the rows could not share a matrix. Returned vectors are L2-normalised
 * here, whatever the server did.
 */
import { InputError } from '../errors';
import type { EncoderDescription, Matrix } from '../interface';
import type { Embedder } from './embedder';
import { l2NormalizeRows } from './pooling';

export interface OpenAIEmbedderOptions {
  /**
   * Server URL: `http://host:8000/v1` (the OpenAI convention), `http://host:8000` (then `/v1` is
   * added) or the full `.../embeddings` endpoint. Default `$EMISHIFT_EMBEDDINGS_BASE_URL`.
   */
  baseUrl?: string | undefined;
  /** Model name as the server knows it. Default `$EMISHIFT_EMBEDDINGS_MODEL`. */
  model?: string | undefined;
  /** Bearer token. Default `$EMISHIFT_EMBEDDINGS_API_KEY`, then `$OPENAI_API_KEY`; none is sent when absent. */
  apiKey?: string | undefined;
  /** Texts per request. Default 64. */
  batchSize?: number | undefined;
  /** Requests in flight at once. Default 4. */
  concurrency?: number | undefined;
  /** Per-attempt timeout in milliseconds. Default 60000. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt of a request. Default 5. */
  maxRetries?: number | undefined;
  /** First backoff delay in milliseconds (doubling each retry, with jitter). Default 500. */
  retryDelayMs?: number | undefined;
  /** Cap on any single wait, including one asked for by `Retry-After`. Default 30000. */
  maxRetryDelayMs?: number | undefined;
  /** The dimension the service must return; a different one is an InputError. */
  dimension?: number | undefined;
  /** Sent as the request's `dimensions` field, for models that can shorten their output. */
  requestDimensions?: number | undefined;
  /** Extra request headers. */
  headers?: Record<string, string> | undefined;
  /** Where the defaults are read from (tests pass their own). Default `process.env`. */
  env?: Record<string, string | undefined> | undefined;
}

/** The service refused or failed a request, or answered with something unusable. */
export class EmbeddingServiceError extends Error {
  readonly status?: number;

  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EmbeddingServiceError';
    this.status = options.status;
  }
}

function positiveInteger(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new InputError(`${field} must be a positive integer, got ${value}`, { field });
  return value;
}

function nonNegative(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new InputError(`${field} must be a non-negative number, got ${value}`, { field });
  return value;
}

/** The embeddings endpoint for a base URL (see `OpenAIEmbedderOptions.baseUrl`). */
export function embeddingsEndpoint(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new InputError(`not a URL: ${JSON.stringify(baseUrl)}`, { field: 'baseUrl' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(`expected an http(s) URL, got ${url.protocol}`, { field: 'baseUrl' });
  const path = url.pathname.replace(/\/+$/, '');
  if (/\/embeddings$/.test(path)) url.pathname = path;
  else if (/\/v\d+$/.test(path)) url.pathname = `${path}/embeddings`;
  else url.pathname = `${path}/v1/embeddings`;
  return url;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A Retry-After header (seconds or HTTP date) in milliseconds, if present and sensible. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  return undefined;
}

function decodeBase64Floats(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  const out: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) out.push(bytes.readFloatLE(i));
  return out;
}

/** Text embeddings from a served model behind an OpenAI-compatible `/v1/embeddings` endpoint, batched, with retries. */
export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  readonly family = 'openai';
  readonly encoder: EncoderDescription;
  readonly model: string;
  readonly endpoint: URL;
  private readonly apiKey?: string;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly expectedDimension?: number;
  private readonly requestDimensions?: number;
  private readonly headers: Record<string, string>;
  private learnedDimension?: number;

  constructor(options: OpenAIEmbedderOptions = {}) {
    const env = options.env ?? process.env;
    const baseUrl = options.baseUrl ?? env.EMISHIFT_EMBEDDINGS_BASE_URL;
    const model = options.model ?? env.EMISHIFT_EMBEDDINGS_MODEL;
    if (!baseUrl) throw new InputError('no embedding server: pass baseUrl or set EMISHIFT_EMBEDDINGS_BASE_URL (e.g. http://127.0.0.1:8000/v1)', { field: 'baseUrl' });
    if (!model) throw new InputError('no embedding model: pass model or set EMISHIFT_EMBEDDINGS_MODEL', { field: 'model' });
    this.model = model;
    this.endpoint = embeddingsEndpoint(baseUrl);
    this.apiKey = options.apiKey ?? env.EMISHIFT_EMBEDDINGS_API_KEY ?? env.OPENAI_API_KEY ?? undefined;
    this.batchSize = positiveInteger(options.batchSize, 64, 'batchSize');
    this.concurrency = positiveInteger(options.concurrency, 4, 'concurrency');
    this.timeoutMs = positiveInteger(options.timeoutMs, 60_000, 'timeoutMs');
    this.maxRetries = options.maxRetries === undefined ? 5 : Math.floor(nonNegative(options.maxRetries, 5, 'maxRetries'));
    this.retryDelayMs = nonNegative(options.retryDelayMs, 500, 'retryDelayMs');
    this.maxRetryDelayMs = nonNegative(options.maxRetryDelayMs, 30_000, 'maxRetryDelayMs');
    if (options.dimension !== undefined) this.expectedDimension = positiveInteger(options.dimension, 0, 'dimension');
    if (options.requestDimensions !== undefined) this.requestDimensions = positiveInteger(options.requestDimensions, 0, 'requestDimensions');
    this.headers = { ...(options.headers ?? {}) };
    // Credentials in the URL never reach ids, manifests or messages.
    const shown = new URL(this.endpoint.href);
    shown.username = '';
    shown.password = '';
    this.id = `openai-embeddings:${model}${this.requestDimensions ? `(dimensions ${this.requestDimensions})` : ''}@${shown.href}`;
    // The server decides the pooling; the model name (and any shortened output) is what is known.
    this.encoder = { model: this.requestDimensions ? `${model}(dimensions ${this.requestDimensions})` : model, pooling: 'as served by /v1/embeddings' };
  }

  /**
   * The service's dimension: known after the first response (or `ready()`), the configured
   * `dimension` before that, else 0.
   */
  get dimension(): number {
    return this.learnedDimension ?? this.expectedDimension ?? this.requestDimensions ?? 0;
  }

  /** Learns the dimension with a one-text request if no response has been seen yet. */
  async ready(): Promise<void> {
    if (this.learnedDimension === undefined) await this.request(['dimension probe']);
  }

  async embedTexts(texts: readonly string[]): Promise<Matrix> {
    texts.forEach((text, i) => {
      if (typeof text !== 'string') throw new InputError(`text ${i} is ${text === null ? 'null' : typeof text}, not a string`, { field: `texts[${i}]` });
    });
    if (texts.length === 0) return { rows: 0, cols: this.dimension, data: new Float32Array(0) };
    const batches: { start: number; texts: string[] }[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) batches.push({ start, texts: texts.slice(start, start + this.batchSize) });
    const results: Float32Array[] = new Array(batches.length);
    let next = 0;
    let failed = false;
    // The first batch runs alone so that the dimension is fixed before parallel responses
    // arrive; a changed dimension then always points at the later response.
    const worker = async (): Promise<void> => {
      while (!failed && next < batches.length) {
        const index = next++;
        try {
          results[index] = await this.request(batches[index].texts);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    if (this.learnedDimension === undefined) {
      next = 1;
      results[0] = await this.request(batches[0].texts);
    }
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batches.length) }, worker));
    const dimension = this.dimension;
    const data = new Float32Array(texts.length * dimension);
    batches.forEach((batch, i) => data.set(results[i], batch.start * dimension));
    return { rows: texts.length, cols: dimension, data };
  }

  /** One request with retries; returns the batch's normalised rows. */
  private async request(texts: string[]): Promise<Float32Array> {
    const body: Record<string, unknown> = { model: this.model, input: texts, encoding_format: 'float' };
    if (this.requestDimensions) body.dimensions = this.requestDimensions;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...this.headers };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const payload = JSON.stringify(body);
    let lastProblem = '';
    let askedWait: number | undefined;
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (attempt > 0) await sleep(this.backoff(attempt, askedWait));
      let response: Response;
      try {
        response = await fetch(this.endpoint, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
        lastProblem = name === 'TimeoutError' || name === 'AbortError' ? `timed out after ${this.timeoutMs} ms` : `connection failed${cause}`;
        askedWait = undefined;
        continue;
      }
      if (response.ok) {
        let json: unknown;
        try {
          json = await response.json();
        } catch (error) {
          throw new EmbeddingServiceError(`${this.endpoint.href} answered with invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
        }
        return this.parse(json, texts.length);
      }
      const detail = (await response.text().catch(() => '')).slice(0, 300);
      lastProblem = `HTTP ${response.status}${detail ? `: ${detail}` : ''}`;
      if (response.status === 429 || response.status >= 500) {
        askedWait = retryAfterMs(response.headers.get('retry-after'));
        continue;
      }
      const hint =
        response.status === 401 || response.status === 403
          ? ' (check EMISHIFT_EMBEDDINGS_API_KEY / OPENAI_API_KEY)'
          : response.status === 404
            ? ` (is ${this.endpoint.href} the embeddings endpoint, and is model '${this.model}' served?)`
            : '';
      throw new EmbeddingServiceError(`${this.endpoint.href} refused the request: ${lastProblem}${hint}`, { status: response.status });
    }
    throw new EmbeddingServiceError(`${this.endpoint.href} failed after ${this.maxRetries + 1} attempts; last: ${lastProblem}`);
  }

  /** The wait before retry `attempt` (1-based): the server's Retry-After if it sent one. */
  private backoff(attempt: number, asked: number | undefined): number {
    if (asked !== undefined) return Math.min(asked, this.maxRetryDelayMs);
    const exponential = this.retryDelayMs * 2 ** (attempt - 1);
    // Jitter spreads the retries of concurrent requests so they do not hit the server in lockstep.
    return Math.min(this.maxRetryDelayMs, exponential * (0.5 + Math.random() / 2));
  }

  private parse(json: unknown, expected: number): Float32Array {
    const where = this.endpoint.href;
    const data = (json as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw new EmbeddingServiceError(`${where} answered without a 'data' array`);
    if (data.length !== expected) throw new EmbeddingServiceError(`${where} returned ${data.length} embeddings for ${expected} inputs`);
    const ordered: (number[] | undefined)[] = new Array(expected);
    data.forEach((item: { embedding?: unknown; index?: unknown }, position) => {
      const index = typeof item?.index === 'number' ? item.index : position;
      if (!Number.isInteger(index) || index < 0 || index >= expected || ordered[index] !== undefined) {
        throw new EmbeddingServiceError(`${where} returned an invalid or repeated index ${String(item?.index)}`);
      }
      const embedding = typeof item.embedding === 'string' ? decodeBase64Floats(item.embedding) : item.embedding;
      if (!Array.isArray(embedding) || embedding.length === 0 || !embedding.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new EmbeddingServiceError(`${where} returned a malformed embedding at index ${index}`);
      }
      ordered[index] = embedding as number[];
    });
    const dimension = (ordered[0] as number[]).length;
    for (const row of ordered) {
      if ((row as number[]).length !== dimension) throw new EmbeddingServiceError(`${where} returned embeddings of different lengths in one response`);
    }
    if (this.learnedDimension === undefined) {
      if (this.expectedDimension !== undefined && dimension !== this.expectedDimension) {
        throw new InputError(`model '${this.model}' returns ${dimension}-dimensional embeddings, expected ${this.expectedDimension}`, { field: 'dimension' });
      }
      this.learnedDimension = dimension;
    } else if (dimension !== this.learnedDimension) {
      throw new EmbeddingServiceError(
        `${where} changed the embedding dimension from ${this.learnedDimension} to ${dimension}; the server is not serving one model consistently`,
      );
    }
    const flat = new Float64Array(expected * dimension);
    ordered.forEach((row, i) => flat.set(row as number[], i * dimension));
    try {
      return l2NormalizeRows(flat, expected, dimension);
    } catch (error) {
      throw new EmbeddingServiceError(`${where} returned an unusable embedding: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
