import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ChatClient, ChatRequestError, chatCompletionsUrl, imageMimeType, imagePart, parseRetryAfter } from '../../src/serve/openaiClient';
import { InputError } from '../../src/errors';
import { createRng } from '../../src/random';
import { expectedAnswer, fakeJpeg, fakePng, startFakeServer, testClientOptions, type FakeServer, type Fault } from './fakeOpenAiServer';

let server: FakeServer;
before(async () => {
  server = await startFakeServer();
});
after(async () => {
  await server.close();
});

const ask = (client: ChatClient, question: string, signal?: AbortSignal) => client.complete({ messages: [{ role: 'user', content: question }], temperature: 0 }, { signal });

test('happy path: sends model, messages, key and options; returns text, finish reason and latency', async () => {
  server.resetCounters();
  server.options = {};
  const client = new ChatClient(testClientOptions(server));
  const result = await client.complete({ messages: [{ role: 'user', content: 'What is shown?' }], maxTokens: 64, temperature: 0, extraBody: { seed: 1 } });
  assert.equal(result.text, expectedAnswer('What is shown?'));
  assert.equal(result.finishReason, 'stop');
  assert.equal(result.model, 'fake-model');
  assert.equal(result.attempts, 1);
  assert.ok(result.latencyMs >= 0);
  const [request] = server.requests;
  assert.equal(request.headers.authorization, 'Bearer sk-test-secret');
  assert.deepEqual({ model: request.body.model, max_tokens: request.body.max_tokens, temperature: request.body.temperature, seed: request.body.seed }, { model: 'fake-model', max_tokens: 64, temperature: 0, seed: 1 });
});

for (const fault of ['429', '500', 'timeout', 'reset', 'malformed'] as const) {
  test(`a ${fault} on the first attempt is retried and recovered`, async () => {
    server.resetCounters();
    server.options = { fault: ({ attempt }) => (attempt === 0 ? fault : 'none') };
    const client = new ChatClient(testClientOptions(server, { timeoutMs: 300 }));
    const question = `question for ${fault}`;
    const result = await ask(client, question);
    assert.equal(result.text, expectedAnswer(question));
    assert.equal(result.attempts, 2);
    assert.deepEqual(server.requests.map((r) => r.fault), [fault, 'none']);
  });
}

test('Retry-After on a 429 is honoured instead of the (much shorter) backoff', async () => {
  server.resetCounters();
  server.options = { retryAfterSeconds: 1, fault: ({ attempt }) => (attempt === 0 ? '429' : 'none') };
  const client = new ChatClient(testClientOptions(server));
  const started = Date.now();
  await ask(client, 'slow down');
  assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
  assert.equal(server.requests.length, 2);
});

test('parseRetryAfter reads seconds, HTTP dates and retry-after-ms', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': '3' }), now), 3000);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }), now), 5000);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now), 250);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now), undefined);
  assert.equal(parseRetryAfter(new Headers(), now), undefined);
});

test('a persistent fault fails after exactly maxRetries + 1 attempts with a clear error and no key in it', async () => {
  const faults: Fault[] = ['500', 'malformed', 'reset', 'timeout'];
  for (const fault of faults) {
    server.resetCounters();
    server.options = { fault: () => fault };
    const client = new ChatClient(testClientOptions(server, { maxRetries: 2, timeoutMs: 150 }));
    await assert.rejects(ask(client, 'never works'), (error: unknown) => {
      assert.ok(error instanceof ChatRequestError);
      assert.equal(error.attempts, 3);
      assert.equal(error.retryable, true);
      assert.match(error.message, /^chat completion failed after 3 attempts \(POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions, model fake-model\): /);
      assert.ok(!error.message.includes('sk-test-secret'));
      return true;
    });
    assert.equal(server.requests.length, 3, fault);
  }
});

test('a 404 (wrong base URL) fails at once and is marked fatal', async () => {
  server.resetCounters();
  server.options = {};
  const client = new ChatClient(testClientOptions(server, { baseUrl: server.baseUrl.replace('/v1', '/v2') }));
  await assert.rejects(ask(client, 'x'), (error: unknown) => error instanceof ChatRequestError && error.status === 404 && error.fatal && error.attempts === 1);
});

test('backoff grows exponentially within [0.5, 1) of its ceiling, capped', () => {
  const rng = createRng(3);
  const client = new ChatClient(testClientOptions(server, { initialBackoffMs: 100, maxBackoffMs: 1000, random: () => rng.next() }));
  for (const [retry, ceiling] of [[0, 100], [1, 200], [2, 400], [3, 800], [4, 1000], [9, 1000]]) {
    const delay = client.backoffMs(retry);
    assert.ok(delay >= ceiling / 2 && delay < ceiling, `retry ${retry}: ${delay}`);
  }
});

test('aborting the caller signal stops a hanging request at once, without retrying', async () => {
  server.resetCounters();
  server.options = { fault: () => 'timeout' };
  const client = new ChatClient(testClientOptions(server, { timeoutMs: 10_000 }));
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(ask(client, 'hang', controller.signal), (error: unknown) => (error as Error).name === 'AbortError');
  assert.ok(Date.now() - started < 2000);
  assert.equal(server.requests.length, 1);
});

test('settings come from options, else EMISHIFT_CHAT_* env, else OPENAI_API_KEY', async () => {
  server.resetCounters();
  server.options = {};
  const env = { EMISHIFT_CHAT_BASE_URL: server.baseUrl, EMISHIFT_CHAT_MODEL: 'env-model', OPENAI_API_KEY: 'sk-openai' };
  await ask(new ChatClient({ env, initialBackoffMs: 1 }), 'q1');
  await ask(new ChatClient({ env: { ...env, EMISHIFT_CHAT_API_KEY: 'sk-emishift' } }), 'q2');
  await ask(new ChatClient({ env: { EMISHIFT_CHAT_BASE_URL: `${server.baseUrl}/`, EMISHIFT_CHAT_MODEL: 'env-model' } }), 'q3');
  await ask(new ChatClient({ env, model: 'option-model', apiKey: 'sk-option' }), 'q4');
  assert.deepEqual(
    server.requests.map((r) => [r.body.model, r.headers.authorization]),
    [['env-model', 'Bearer sk-openai'], ['env-model', 'Bearer sk-emishift'], ['env-model', undefined], ['option-model', 'Bearer sk-option']],
  );
  assert.throws(() => new ChatClient({ env: {} }), (error: unknown) => error instanceof InputError && /EMISHIFT_CHAT_MODEL/.test(error.message));
  assert.equal(new ChatClient({ env: { EMISHIFT_CHAT_MODEL: 'm' } }).baseUrl, 'https://api.openai.com/v1');
  assert.throws(() => new ChatClient({ env: {}, model: 'm', baseUrl: 'not a url' }), InputError);
  assert.throws(() => new ChatClient({ env: {}, model: 'm', maxRetries: -1 }), InputError);
});

test('endpoint URL, MIME sniffing and data URLs', () => {
  assert.equal(chatCompletionsUrl('http://localhost:8000/v1'), 'http://localhost:8000/v1/chat/completions');
  assert.equal(chatCompletionsUrl('http://localhost:11434/v1/'), 'http://localhost:11434/v1/chat/completions');
  assert.equal(chatCompletionsUrl('http://h/v1/chat/completions'), 'http://h/v1/chat/completions');
  assert.equal(imageMimeType(fakePng(1)), 'image/png');
  assert.equal(imageMimeType(fakeJpeg(1)), 'image/jpeg');
  assert.equal(imageMimeType(Buffer.from('GIF89a....')), 'image/gif');
  assert.equal(imageMimeType(Buffer.from('RIFF\0\0\0\0WEBPVP8 ')), 'image/webp');
  assert.equal(imageMimeType(Buffer.from('hello')), undefined);
  const bytes = fakePng(7);
  const part = imagePart(bytes.subarray(2), 'image/png', 'low');
  assert.equal(part.type, 'image_url');
  assert.equal(part.image_url.detail, 'low');
  assert.deepEqual(Buffer.from(part.image_url.url.replace('data:image/png;base64,', ''), 'base64'), Buffer.from(bytes.subarray(2)));
});
