import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { embeddingsEndpoint, EmbeddingServiceError, OpenAIEmbedder } from '../../src/embed/openaiEmbedder';
import { isInputError } from '../../src/errors';
import { rowNorm } from './fixtures';

interface Received {
  url: string;
  authorization?: string;
  body: { model: string; input: string[]; encoding_format?: string; dimensions?: number };
}

type Handler = (request: Received, response: ServerResponse, count: number) => void;

/** A local stand-in for vLLM/TEI/Ollama on 127.0.0.1 with a scripted behaviour per request. */
async function startServer(handler: Handler): Promise<{ server: Server; url: string; received: Received[]; inFlightPeak: () => number }> {
  const received: Received[] = [];
  let inFlight = 0;
  let peak = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry: Received = { url: request.url ?? '', authorization: request.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
      received.push(entry);
      inFlight++;
      peak = Math.max(peak, inFlight);
      let finished = false;
      const done = (): void => {
        if (!finished) inFlight--;
        finished = true;
      };
      response.on('finish', done);
      response.on('close', done);
      handler(entry, response, received.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/v1`, received, inFlightPeak: () => peak };
}

/** A deterministic unnormalised vector per text, so normalisation and order can be checked. */
function vectorOf(text: string, dimension: number): number[] {
  return Array.from({ length: dimension }, (_, k) => ((text.length + 1) * (k + 1)) % 7 - 2 + (k === 0 ? 10 : 0));
}

function answer(response: ServerResponse, body: Received['body'], dimension = 4, shuffle = false): void {
  let data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text, dimension) }));
  if (shuffle) data = data.reverse();
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ object: 'list', model: body.model, data, usage: { prompt_tokens: 1, total_tokens: 1 } }));
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

test('endpoint from a base URL: /v1 convention, bare host, or the full path', () => {
  assert.equal(embeddingsEndpoint('http://127.0.0.1:8000/v1').href, 'http://127.0.0.1:8000/v1/embeddings');
  assert.equal(embeddingsEndpoint('http://127.0.0.1:8000/').href, 'http://127.0.0.1:8000/v1/embeddings');
  assert.equal(embeddingsEndpoint('http://host/api/v1/embeddings').href, 'http://host/api/v1/embeddings');
  assert.throws(() => embeddingsEndpoint('ftp://host'), /http\(s\)/);
});

test('batches, bounded concurrency, order by index, L2-normalised rows, key and model sent', async () => {
  const { server, url, received, inFlightPeak } = await startServer((request, response) => {
    // Delay so that requests overlap and the concurrency bound is observable.
    setTimeout(() => answer(response, request.body, 4, true), 20);
  });
  try {
    const embedder = new OpenAIEmbedder({ baseUrl: url, model: 'bge-m3', apiKey: 'secret', batchSize: 3, concurrency: 2, env: {} });
    assert.equal(embedder.dimension, 0);
    const texts = Array.from({ length: 11 }, (_, i) => 'x'.repeat(i));
    const matrix = await embedder.embedTexts(texts);
    assert.equal(matrix.rows, 11);
    assert.equal(matrix.cols, 4);
    assert.equal(embedder.dimension, 4);
    for (let i = 0; i < 11; i++) {
      assert.ok(Math.abs(rowNorm(matrix, i) - 1) < 1e-6);
      const raw = vectorOf(texts[i], 4);
      const norm = Math.hypot(...raw);
      for (let k = 0; k < 4; k++) assert.ok(Math.abs(matrix.data[i * 4 + k] - raw[k] / norm) < 1e-6, `row ${i}`);
    }
    assert.equal(received.length, 4);
    assert.deepEqual(received.map((r) => r.body.input.length).sort(), [2, 3, 3, 3]);
    assert.equal(inFlightPeak(), 2, 'two requests in flight at most, and two reached');
    assert.equal(received[0].url, '/v1/embeddings');
    assert.equal(received[0].authorization, 'Bearer secret');
    assert.equal(received[0].body.model, 'bge-m3');
    assert.equal(received[0].body.encoding_format, 'float');
    assert.match(embedder.id, /^openai-embeddings:bge-m3@http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings$/);
  } finally {
    await close(server);
  }
});

test('a 429 (with Retry-After) and a 503 are retried, then succeed', async () => {
  const { server, url, received } = await startServer((request, response, count) => {
    if (count === 1) {
      response.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' });
      response.end('{"error":"rate limited"}');
    } else if (count === 2) {
      response.writeHead(503);
      response.end('loading model');
    } else {
      answer(response, request.body);
    }
  });
  try {
    const embedder = new OpenAIEmbedder({ baseUrl: url, model: 'm', retryDelayMs: 1, env: {} });
    const matrix = await embedder.embedTexts(['a', 'b']);
    assert.equal(matrix.rows, 2);
    assert.equal(received.length, 3);
  } finally {
    await close(server);
  }
});

test('gives up after maxRetries, and does not retry a 400', async () => {
  const { server, url, received } = await startServer((_request, response, count) => {
    response.writeHead(count <= 3 ? 500 : 400);
    response.end(count <= 3 ? 'boom' : '{"error":"input too long"}');
  });
  try {
    const embedder = new OpenAIEmbedder({ baseUrl: url, model: 'm', retryDelayMs: 1, maxRetries: 2, env: {} });
    await assert.rejects(embedder.embedTexts(['a']), (error: unknown) => error instanceof EmbeddingServiceError && /failed after 3 attempts; last: HTTP 500: boom/.test(error.message));
    assert.equal(received.length, 3);
    await assert.rejects(embedder.embedTexts(['a']), (error: unknown) => error instanceof EmbeddingServiceError && error.status === 400 && /input too long/.test(error.message));
    assert.equal(received.length, 4);
  } finally {
    await close(server);
  }
});

test('connection errors and timeouts are retried', async () => {
  const { server, url } = await startServer((request, response, count) => {
    // The first request hangs past the client's timeout.
    if (count === 1) setTimeout(() => response.destroy(), 300);
    else answer(response, request.body);
  });
  try {
    const embedder = new OpenAIEmbedder({ baseUrl: url, model: 'm', timeoutMs: 50, retryDelayMs: 1, env: {} });
    assert.equal((await embedder.embedTexts(['a'])).rows, 1);
  } finally {
    await close(server);
  }
  // Nothing listens on the closed port: every attempt fails to connect.
  const refused = new OpenAIEmbedder({ baseUrl: url, model: 'm', retryDelayMs: 1, maxRetries: 1, env: {} });
  await assert.rejects(refused.embedTexts(['a']), /failed after 2 attempts; last: connection failed/);
});

test('a dimension change between responses is an error; an unexpected dimension is an InputError', async () => {
  const { server, url } = await startServer((request, response, count) => answer(response, request.body, count === 1 ? 4 : 5));
  try {
    const embedder = new OpenAIEmbedder({ baseUrl: url, model: 'm', env: {} });
    await embedder.embedTexts(['a']);
    await assert.rejects(embedder.embedTexts(['b']), (error: unknown) => error instanceof EmbeddingServiceError && /changed the embedding dimension from 4 to 5/.test(error.message));
  } finally {
    await close(server);
  }
  const fixed = await startServer((request, response) => answer(response, request.body, 4));
  try {
    const embedder = new OpenAIEmbedder({ baseUrl: fixed.url, model: 'm', dimension: 768, env: {} });
    assert.equal(embedder.dimension, 768);
    await assert.rejects(embedder.ready(), (error: unknown) => isInputError(error) && /returns 4-dimensional embeddings, expected 768/.test(error.message));
  } finally {
    await close(fixed.server);
  }
});

test('malformed responses are reported', async () => {
  const bodies = ['{"data":[]}', '{"nope":1}', '{"data":[{"index":0,"embedding":[0,0]}]}', 'not json'];
  const { server, url } = await startServer((_request, response, count) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(bodies[count - 1]);
  });
  try {
    const embedder = new OpenAIEmbedder({ baseUrl: url, model: 'm', env: {} });
    await assert.rejects(embedder.embedTexts(['a']), /returned 0 embeddings for 1 inputs/);
    await assert.rejects(embedder.embedTexts(['a']), /without a 'data' array/);
    await assert.rejects(embedder.embedTexts(['a']), /unusable embedding/);
    await assert.rejects(embedder.embedTexts(['a']), /invalid JSON/);
  } finally {
    await close(server);
  }
});

test('settings come from options or the environment; missing ones are InputErrors', () => {
  const env = { EMISHIFT_EMBEDDINGS_BASE_URL: 'http://127.0.0.1:9/v1', EMISHIFT_EMBEDDINGS_MODEL: 'nomic-embed-text', OPENAI_API_KEY: 'k' };
  const embedder = new OpenAIEmbedder({ env });
  assert.equal(embedder.model, 'nomic-embed-text');
  assert.equal(embedder.endpoint.href, 'http://127.0.0.1:9/v1/embeddings');
  assert.throws(() => new OpenAIEmbedder({ env: {} }), /EMISHIFT_EMBEDDINGS_BASE_URL/);
  assert.throws(() => new OpenAIEmbedder({ env: { EMISHIFT_EMBEDDINGS_BASE_URL: 'http://x' } }), /EMISHIFT_EMBEDDINGS_MODEL/);
  assert.throws(() => new OpenAIEmbedder({ env, batchSize: 0 }), /batchSize must be a positive integer/);
  // Images: the API has none, so the embedder offers none.
  assert.equal((embedder as { embedImages?: unknown }).embedImages, undefined);
});
