/**
 * A fake OpenAI-compatible server on 127.0.0.1 for the serve tests. It answers deterministically
 * from the request (so tests can predict every answer), injects faults on chosen requests, counts
 * requests in flight (to check the client's concurrency bound) and records every request.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ChatClientOptions } from '../../src/serve/openaiClient';

export type Fault = 'none' | '429' | '500' | 'timeout' | 'reset' | 'malformed';

export interface RecordedRequest {
  /** 0-based arrival order. */
  index: number;
  path: string;
  headers: IncomingMessage['headers'];
  body: ChatBody;
  /** The user message's text (the question for an answer request, the review text for a judge request). */
  text: string;
  hasImage: boolean;
  isJudge: boolean;
  fault: Fault;
}

export interface ChatBody {
  model?: string;
  messages?: { role: string; content: string | { type: string; text?: string; image_url?: { url: string } }[] }[];
  max_tokens?: number;
  temperature?: number;
  [key: string]: unknown;
}

export interface FakeServerOptions {
  /** Which fault a request gets; `attempt` counts earlier requests with the same text. Default: none. */
  fault?: (request: { index: number; text: string; attempt: number; isJudge: boolean }) => Fault;
  /** Seconds sent in Retry-After with a 429. Default 0 (so tests stay fast). */
  retryAfterSeconds?: number;
  /** Delay before answering, ms (lets requests overlap, so in-flight counts mean something). */
  delayMs?: number | ((index: number) => number);
  /** The judge's reply; default "8 6" plus an explanation. */
  judgeReply?: (request: { text: string; attempt: number }) => string;
}

export interface FakeServer {
  /** Base URL including /v1, as clients expect. */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  readonly inFlight: number;
  readonly maxInFlight: number;
  options: FakeServerOptions;
  resetCounters(): void;
  close(): Promise<void>;
}

/** The answer the fake model gives to a question: a hash of it, so tests can predict it. */
export function expectedAnswer(question: string): string {
  return `answer-${createHash('sha256').update(question).digest('hex').slice(0, 12)}`;
}

function userText(body: ChatBody): { text: string; hasImage: boolean; isJudge: boolean } {
  const messages = body.messages ?? [];
  const isJudge = messages.some((m) => m.role === 'system' && typeof m.content === 'string' && m.content.includes('checking the quality'));
  const user = [...messages].reverse().find((m) => m.role === 'user');
  if (user === undefined) return { text: '', hasImage: false, isJudge };
  if (typeof user.content === 'string') return { text: user.content, hasImage: false, isJudge };
  const text = user.content.filter((part) => part.type === 'text').map((part) => part.text ?? '').join('\n');
  return { text, hasImage: user.content.some((part) => part.type === 'image_url'), isJudge };
}

function completion(model: string | undefined, content: string): string {
  return JSON.stringify({
    id: `chatcmpl-${createHash('sha256').update(content).digest('hex').slice(0, 8)}`,
    object: 'chat.completion',
    created: 0,
    model: model ?? 'fake',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}

export async function startFakeServer(initial: FakeServerOptions = {}): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const attempts = new Map<string, number>();
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let maxInFlight = 0;
  const state = { options: initial };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    let body: ChatBody;
    try {
      body = JSON.parse(raw) as ChatBody;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad json"}}');
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    const { text, hasImage, isJudge } = userText(body);
    const attempt = attempts.get(text) ?? 0;
    attempts.set(text, attempt + 1);
    const index = requests.length;
    const fault = state.options.fault?.({ index, text, attempt, isJudge }) ?? 'none';
    requests.push({ index, path: req.url, headers: req.headers, body, text, hasImage, isJudge, fault });
    const delay = typeof state.options.delayMs === 'function' ? state.options.delayMs(index) : state.options.delayMs ?? 0;
    const respond = (): void => {
      if (res.destroyed) return;
      switch (fault) {
        case 'timeout':
          return; // never answers; the client's timeout must fire
        case '429':
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(state.options.retryAfterSeconds ?? 0) }).end('{"error":{"message":"rate limited"}}');
          return;
        case '500':
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"internal"}}');
          return;
        case 'reset':
          // Headers and part of the body, then the connection dies mid-response.
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write('{"id":"x","choices":[{"mess', () => setImmediate(() => res.socket?.destroy()));
          return;
        case 'malformed':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"x","choices":[{"message":{"content":"tru');
          return;
        default: {
          const content = isJudge ? (state.options.judgeReply?.({ text, attempt }) ?? '8 6\nAssistant 1 is more detailed.') : expectedAnswer(text);
          res.writeHead(200, { 'content-type': 'application/json' }).end(completion(body.model, content));
        }
      }
    };
    if (delay > 0) setTimeout(respond, delay);
    else respond();
  };

  const server: Server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let settled = false;
    const settle = (): void => {
      if (!settled) {
        settled = true;
        inFlight--;
      }
    };
    res.on('finish', settle);
    res.on('close', settle);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get options() {
      return state.options;
    },
    set options(value: FakeServerOptions) {
      state.options = value;
    },
    resetCounters() {
      requests.length = 0;
      attempts.clear();
      maxInFlight = inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Bytes that pass as a PNG by their magic number; the fake server never decodes images. */
export function fakePng(seed: number): Uint8Array {
  return Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, seed & 0xff, (seed >> 8) & 0xff, 1, 2, 3]);
}

export function fakeJpeg(seed: number): Uint8Array {
  return Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, seed & 0xff, 4, 5, 6]);
}

/** Client options for tests: the fake server, no environment, and retries measured in milliseconds. */
export function testClientOptions(server: FakeServer, overrides: Partial<ChatClientOptions> = {}): ChatClientOptions {
  return { baseUrl: server.baseUrl, model: 'fake-model', apiKey: 'sk-test-secret', timeoutMs: 2000, maxRetries: 5, initialBackoffMs: 5, maxBackoffMs: 20, env: {}, ...overrides };
}

/**
 * Registers a fake server for the calling test file (started before its tests, closed after)
 * and a temporary-folder factory whose folders are removed after them.
 */
export function useFakeServerAndTempDirs(prefix: string): { server: FakeServer; tmp: () => string } {
  // Required here rather than at the top so importing the fake server alone registers no hooks.
  const { before, after } = require('node:test') as typeof import('node:test');
  const { mkdtempSync, rmSync } = require('node:fs') as typeof import('node:fs');
  const { tmpdir } = require('node:os') as typeof import('node:os');
  const { join } = require('node:path') as typeof import('node:path');
  let server: FakeServer | undefined;
  const dirs: string[] = [];
  before(async () => {
    server = await startFakeServer();
  });
  after(async () => {
    await server?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  // A stand-in that forwards to the server the hook starts, so tests can hold it from the start.
  const live = new Proxy({} as FakeServer, {
    get: (_target, key) => {
      const value = Reflect.get(server!, key, server);
      return typeof value === 'function' ? value.bind(server) : value;
    },
    set: (_target, key, value) => Reflect.set(server!, key, value),
  });
  return {
    server: live,
    tmp: () => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
}

/**
 * A base URL on 127.0.0.1 where nothing listens: a port the OS just handed out and took back, so
 * connecting is refused at once (ECONNREFUSED), as with a server that is down.
 */
export async function closedPortBaseUrl(): Promise<string> {
  const { createServer: createTcpServer } = require('node:net') as typeof import('node:net');
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}
