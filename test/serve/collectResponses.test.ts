import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, truncateSync, appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectResponses, readAnswerFile, RunFailuresError, RunStoppedError, type LlavaAnswerRecord } from '../../src/serve/collectResponses';
import { ChatClient, ConnectionFailuresError, ConnectionWatch } from '../../src/serve/openaiClient';
import { InputError } from '../../src/errors';
import { createRng } from '../../src/random';
import type { SplitTable } from '../../src/data/splitRow';
import { closedPortBaseUrl, expectedAnswer, fakeJpeg, fakePng, startFakeServer, testClientOptions, useFakeServerAndTempDirs, type Fault } from './fakeOpenAiServer';

const { server, tmp } = useFakeServerAndTempDirs('emishift-collect-');

function makeTable(n: number, options: { images?: boolean; name?: string } = {}): SplitTable {
  return {
    name: options.name ?? 'llava_bench_coco',
    source: 'test-split.parquet',
    rows: Array.from({ length: n }, (_, i) => ({
      question_id: i,
      question: `Question ${i}: what is in the picture?`,
      reference_answer: `Reference ${i}`,
      image: options.images === false ? undefined : i % 2 === 0 ? fakePng(i) : fakeJpeg(i),
    })),
  };
}

/** Parses every line strictly (no tolerance) and checks one answer per question, each correct. */
function assertCompleteAnswerFile(path: string, table: SplitTable): LlavaAnswerRecord[] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text.endsWith('\n'), 'the file ends with a complete line');
  const records = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as LlavaAnswerRecord);
  const ids = records.map((r) => String(r.question_id)).sort();
  assert.deepEqual(ids, table.rows.map((r) => String(r.question_id)).sort(), 'exactly one answer per question');
  for (const record of records) {
    assert.equal(record.text, expectedAnswer(record.prompt));
    assert.deepEqual(Object.keys(record).sort(), ['answer_id', 'metadata', 'model_id', 'prompt', 'question_id', 'text']);
  }
  assert.equal(new Set(records.map((r) => r.answer_id)).size, records.length, 'answer ids are unique');
  return records;
}

test('happy path: every row answered in the LLaVA answer-file format, images as base64 data URLs', async () => {
  server.resetCounters();
  server.options = {};
  const table = makeTable(6);
  const outFile = join(tmp(), 'answers.jsonl');
  const progress: number[] = [];
  const summary = await collectResponses(table, { outFile, clientOptions: testClientOptions(server), maxTokens: 128, onProgress: (p) => progress.push(p.done) });
  assert.deepEqual({ answered: summary.answered, skipped: summary.skipped, failed: summary.failed, total: summary.total }, { answered: 6, skipped: 0, failed: 0, total: 6 });
  assert.equal(progress.at(-1), 6);
  const records = assertCompleteAnswerFile(outFile, table);
  const first = records.find((r) => r.question_id === 0) as LlavaAnswerRecord;
  assert.equal(first.prompt, table.rows[0].question);
  assert.equal(first.model_id, 'fake-model');
  assert.equal(first.metadata.finish_reason, 'stop');
  assert.equal(first.metadata.image_mime, 'image/png');
  assert.equal(typeof first.metadata.latency_ms, 'number');
  assert.equal(records.find((r) => r.question_id === 1)?.metadata.image_mime, 'image/jpeg');
  for (const request of server.requests) {
    assert.equal(request.hasImage, true);
    assert.equal(request.body.temperature, 0);
    assert.equal(request.body.max_tokens, 128);
    const content = request.body.messages?.[0].content;
    assert.ok(Array.isArray(content));
    const url = content.find((part) => part.type === 'image_url')?.image_url?.url ?? '';
    const row = table.rows.find((r) => r.question === request.text);
    assert.ok(row?.image !== undefined);
    const mime = Number(row.question_id) % 2 === 0 ? 'image/png' : 'image/jpeg';
    assert.equal(url, `data:${mime};base64,${Buffer.from(row.image).toString('base64')}`);
  }
  assert.deepEqual(readAnswerFile(outFile).length, 6);
});

test('text-only rows send no image part; a prompt template wraps the question', async () => {
  server.resetCounters();
  server.options = {};
  const table = makeTable(3, { images: false });
  const outFile = join(tmp(), 'answers.jsonl');
  await collectResponses(table, { outFile, clientOptions: testClientOptions(server), prompt: '{question}\nAnswer briefly.', systemPrompt: 'Be terse.' });
  assert.equal(server.requests.length, 3);
  for (const request of server.requests) {
    assert.equal(request.hasImage, false);
    const messages = request.body.messages ?? [];
    assert.deepEqual(messages[0], { role: 'system', content: 'Be terse.' });
    assert.equal(typeof messages[1].content, 'string');
    assert.match(request.text, /^Question \d: what is in the picture\?\nAnswer briefly\.$/);
  }
  const records = readAnswerFile(outFile);
  assert.ok(records.every((r) => r.metadata.image_mime === null && r.prompt.endsWith('Answer briefly.')));
});

test('resume: a rerun sends nothing for answered ids and only asks for the missing ones', async () => {
  server.resetCounters();
  server.options = {};
  const table = makeTable(8);
  const outFile = join(tmp(), 'answers.jsonl');
  await collectResponses({ ...table, rows: table.rows.slice(0, 5) }, { outFile, clientOptions: testClientOptions(server) });
  assert.equal(server.requests.length, 5);
  server.resetCounters();
  const summary = await collectResponses(table, { outFile, clientOptions: testClientOptions(server) });
  assert.deepEqual([summary.answered, summary.skipped], [3, 5]);
  assert.deepEqual(server.requests.map((r) => r.text).sort(), table.rows.slice(5).map((r) => r.question).sort());
  server.resetCounters();
  const again = await collectResponses(table, { outFile, clientOptions: testClientOptions(server) });
  assert.deepEqual([again.answered, again.skipped], [0, 8]);
  assert.equal(server.requests.length, 0);
  assertCompleteAnswerFile(outFile, table);
});

test('every fault type is retried and the run completes', async () => {
  server.resetCounters();
  const faults: Fault[] = ['429', '500', 'timeout', 'reset', 'malformed'];
  server.options = { fault: ({ attempt, text }) => (attempt === 0 ? faults[Number(/Question (\d+)/.exec(text)?.[1]) % faults.length] : 'none') };
  const table = makeTable(10);
  const outFile = join(tmp(), 'answers.jsonl');
  const summary = await collectResponses(table, { outFile, clientOptions: testClientOptions(server, { timeoutMs: 300 }), concurrency: 5 });
  assert.equal(summary.answered, 10);
  assert.equal(server.requests.length, 20);
  const records = assertCompleteAnswerFile(outFile, table);
  assert.ok(records.every((r) => r.metadata.attempts === 2));
});

test('concurrency never exceeds the bound (counted by the server)', async () => {
  for (const concurrency of [1, 3]) {
    server.resetCounters();
    server.options = { delayMs: 25 };
    const outFile = join(tmp(), 'answers.jsonl');
    await collectResponses(makeTable(12), { outFile, clientOptions: testClientOptions(server), concurrency });
    assert.equal(server.maxInFlight, concurrency);
  }
});

test('questions that keep failing are reported at the end; the answered ones stay written', async () => {
  server.resetCounters();
  server.options = { fault: ({ text }) => (text.startsWith('Question 2:') || text.startsWith('Question 4:') ? '500' : 'none') };
  const table = makeTable(6);
  const outFile = join(tmp(), 'answers.jsonl');
  await assert.rejects(collectResponses(table, { outFile, clientOptions: testClientOptions(server, { maxRetries: 1 }) }), (error: unknown) => {
    assert.ok(error instanceof RunFailuresError);
    assert.deepEqual([error.summary.answered, error.summary.failed], [4, 2]);
    assert.deepEqual(error.summary.failures.map((f: { question_id: string | number }) => f.question_id).sort(), [2, 4]);
    assert.match(error.message, /^2 of 6 questions failed .*HTTP 500/);
    return true;
  });
  assert.equal(readAnswerFile(outFile).length, 4);
  server.options = {};
  server.resetCounters();
  const summary = await collectResponses(table, { outFile, clientOptions: testClientOptions(server) });
  assert.deepEqual([summary.answered, summary.skipped, server.requests.length], [2, 4, 2]);
  assertCompleteAnswerFile(outFile, table);
});

test('a fatal error (wrong endpoint) stops the run instead of failing row by row', async () => {
  server.resetCounters();
  server.options = { delayMs: 5 };
  const outFile = join(tmp(), 'answers.jsonl');
  const client = new ChatClient(testClientOptions(server, { baseUrl: server.baseUrl.replace('/v1', '/nope') }));
  await assert.rejects(collectResponses(makeTable(20), { outFile, client, concurrency: 2 }), /HTTP 404/);
});

test('bad input is a one-line InputError before any request: damaged middle line, duplicate ids, unknown image, other model', async () => {
  server.resetCounters();
  server.options = {};
  const dir = tmp();
  const table = makeTable(3);
  const damaged = join(dir, 'damaged.jsonl');
  const good = JSON.stringify({ question_id: 0, prompt: 'p', text: 't', answer_id: 'a', model_id: 'fake-model', metadata: {} });
  writeFileSync(damaged, `${good}\n{"question_id": 1, "text": oops}\n${good}\n`);
  const before = readFileSync(damaged, 'utf8');
  await assert.rejects(
    collectResponses(table, { outFile: damaged, clientOptions: testClientOptions(server) }),
    (error: unknown) => error instanceof InputError && error.message.startsWith(`${damaged}: line 2: `) && !error.message.includes('\n'),
  );
  assert.equal(readFileSync(damaged, 'utf8'), before, 'a damaged file is left as it was');

  const other = join(dir, 'other.jsonl');
  writeFileSync(other, `${good.replace('fake-model', 'llava-v1.5-13b')}\n`);
  await assert.rejects(collectResponses(table, { outFile: other, clientOptions: testClientOptions(server) }), /line 1: holds an answer from model 'llava-v1\.5-13b'/);

  const duplicate = { ...table, rows: [...table.rows, table.rows[1]] };
  await assert.rejects(collectResponses(duplicate, { outFile: join(dir, 'a.jsonl'), clientOptions: testClientOptions(server) }), /question_id 1 appears more than once/);
  const unknownImage = { ...table, rows: [{ ...table.rows[0], image: Uint8Array.from([1, 2, 3]) }] };
  await assert.rejects(collectResponses(unknownImage, { outFile: join(dir, 'b.jsonl'), clientOptions: testClientOptions(server) }), /question_id 0: image bytes are not PNG/);
  await assert.rejects(collectResponses(table, { outFile: join(dir, 'c.jsonl'), clientOptions: testClientOptions(server), prompt: 'no placeholder' }), InputError);
  assert.equal(server.requests.length, 0);
});

test('interrupted at random points (aborts and torn writes) and resumed until done: one intact answer per question', async () => {
  const rng = createRng(20250601);
  const faultRng = createRng(99);
  server.resetCounters();
  server.options = {
    delayMs: () => 3 + Math.floor(faultRng.next() * 12),
    fault: () => {
      const u = faultRng.next();
      return u < 0.04 ? '500' : u < 0.07 ? 'malformed' : u < 0.1 ? 'reset' : 'none';
    },
  };
  const table = makeTable(40);
  const outFile = join(tmp(), 'answers.jsonl');
  const client = new ChatClient(testClientOptions(server, { maxRetries: 8 }));
  let interrupted = 0;
  let torn = 0;
  let finished = false;
  for (let round = 0; round < 60 && !finished; round++) {
    const answered = new Set(readAnswerFile(outFile).map((r) => String(r.question_id)));
    const firstRequest = server.requests.length;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10 + round * 5 + rng.int(40));
    try {
      await collectResponses(table, { outFile, client, concurrency: 4, signal: controller.signal });
      finished = true;
    } catch (error) {
      assert.equal((error as Error).name, 'AbortError', String(error));
      interrupted++;
    } finally {
      clearTimeout(timer);
    }
    // Resume never asks again for what the file already answered.
    const asked = server.requests.slice(firstRequest).map((r) => String(table.rows.find((row) => row.question === r.text)?.question_id));
    assert.ok(asked.every((id) => !answered.has(id)), `round ${round} re-asked an answered question`);
    if (!finished && rng.next() < 0.6) {
      // A crash mid-write: cut the last line short, or leave half a line behind.
      torn++;
      // No answer yet means no file yet (it is created by the first answer).
      const size = existsSync(outFile) ? statSync(outFile).size : 0;
      if (rng.next() < 0.5 && size > 10) truncateSync(outFile, size - 1 - rng.int(8));
      else appendFileSync(outFile, '{"question_id": 7, "prompt": "Question 7: what is in the pic');
    }
  }
  assert.ok(finished, 'the run finished within the round budget');
  assert.ok(interrupted >= 2, `interrupted ${interrupted} times`);
  assert.ok(torn >= 1);
  assertCompleteAnswerFile(outFile, table);
});

test('a child process killed with SIGKILL mid-run, repeatedly, then resumed: one intact answer per question', async () => {
  const rng = createRng(4242);
  server.resetCounters();
  server.options = { delayMs: 15 };
  const table = makeTable(30, { images: false });
  const dir = tmp();
  const outFile = join(dir, 'answers.jsonl');
  const tableFile = join(dir, 'table.json');
  writeFileSync(tableFile, JSON.stringify(table));
  const modulePath = join(__dirname, '..', '..', 'src', 'serve', 'collectResponses.js');
  const script = `
    const { collectResponses } = require(${JSON.stringify(modulePath)});
    const table = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(tableFile)}, 'utf8'));
    collectResponses(table, { outFile: ${JSON.stringify(outFile)}, concurrency: 3, fsync: 'none',
      clientOptions: ${JSON.stringify(testClientOptions(server))} }).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
  `;
  let killedMidRun = 0;
  for (let round = 0; round < 4; round++) {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kill once the child has written a few more answers, so the kill lands mid-run with requests in flight.
    const start = readAnswerFile(outFile).length;
    const target = Math.min(table.rows.length - 1, start + 1 + rng.int(6));
    const poll = setInterval(() => {
      if (readAnswerFile(outFile).length >= target) child.kill('SIGKILL');
    }, 2);
    const fallback = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearInterval(poll);
    clearTimeout(fallback);
    assert.ok(code === null || code === 0, `child failed: ${stderr}`);
    if (code === null) {
      const count = readAnswerFile(outFile).length;
      if (count > 0 && count < table.rows.length) killedMidRun++;
    }
  }
  assert.ok(killedMidRun >= 1, 'at least one kill landed mid-run');
  const summary = await collectResponses(table, { outFile, clientOptions: testClientOptions(server) });
  assert.equal(summary.answered + summary.skipped, 30);
  assertCompleteAnswerFile(outFile, table);
});

test('a dead endpoint stops the run after 5 connection failures in a row, creating no answer file', async () => {
  const outFile = join(tmp(), 'never.jsonl');
  const baseUrl = await closedPortBaseUrl();
  const started = Date.now();
  await assert.rejects(
    collectResponses(makeTable(30), { outFile, clientOptions: testClientOptions(server, { baseUrl, initialBackoffMs: 20, maxBackoffMs: 40 }), concurrency: 2 }),
    (error: unknown) => {
      assert.ok(error instanceof RunStoppedError, String(error));
      assert.ok(error.cause instanceof ConnectionFailuresError);
      assert.equal(error.cause.failures, 5);
      assert.match(
        error.message,
        /^cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: 5 connection failures in a row, the last: network error: .*ECONNREFUSED.*; stopped with 0 of 30 questions answered now, nothing written to .*never\.jsonl$/,
      );
      assert.deepEqual([error.counts.done, error.counts.failed, error.counts.written], [0, 0, 0]);
      return true;
    },
  );
  assert.equal(existsSync(outFile), false, 'no empty answer file');
  // 30 questions × 6 attempts with backoff would take seconds; five failures take a few backoffs.
  assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
});

test('a dead endpoint leaves an existing answer file byte for byte and counts what it holds', async () => {
  server.resetCounters();
  server.options = {};
  const table = makeTable(6);
  const outFile = join(tmp(), 'answers.jsonl');
  await collectResponses({ ...table, rows: table.rows.slice(0, 2) }, { outFile, clientOptions: testClientOptions(server) });
  const before = readFileSync(outFile);
  const baseUrl = await closedPortBaseUrl();
  await assert.rejects(
    collectResponses(table, { outFile, clientOptions: testClientOptions(server, { baseUrl, initialBackoffMs: 5 }), maxConnectionFailures: 2 }),
    /2 connection failures in a row.*; stopped with 0 of 6 questions answered now, 2 before, in .*answers\.jsonl$/,
  );
  assert.deepEqual(readFileSync(outFile), before);
});

test('without a connection limit every question fails on its own, and the summary counts right', async () => {
  const outFile = join(tmp(), 'never.jsonl');
  const baseUrl = await closedPortBaseUrl();
  await assert.rejects(
    collectResponses(makeTable(4), { outFile, clientOptions: testClientOptions(server, { baseUrl, maxRetries: 1, initialBackoffMs: 1 }), maxConnectionFailures: Infinity }),
    (error: unknown) => {
      assert.ok(error instanceof RunFailuresError);
      // Not "the others are in FILE": there are no others.
      assert.match(error.message, /^4 of 4 questions failed \(0 answered now, nothing written to .*never\.jsonl; rerun to retry only the failed ones\): question \d: chat completion failed after 2 attempts/);
      return true;
    },
  );
  assert.equal(existsSync(outFile), false);
  await assert.rejects(collectResponses(makeTable(1), { outFile, clientOptions: testClientOptions(server), maxConnectionFailures: 0 }), /maxConnectionFailures: must be a positive integer, got 0/);
});

test('a server that goes away mid-run: the run stops and its message counts the answers written', async () => {
  const own = await startFakeServer({ delayMs: 5 });
  own.options = {
    delayMs: 5,
    fault: ({ index }) => {
      if (index === 6) void own.close();
      return 'none';
    },
  };
  const outFile = join(tmp(), 'answers.jsonl');
  const table = makeTable(40);
  let message = '';
  await assert.rejects(
    collectResponses(table, { outFile, clientOptions: { ...testClientOptions(own), initialBackoffMs: 5 }, concurrency: 2 }),
    (error: unknown) => {
      assert.ok(error instanceof RunStoppedError, String(error));
      message = error.message;
      return true;
    },
  );
  const written = readAnswerFile(outFile).length;
  assert.ok(written >= 1 && written < 40, `${written} answers`);
  assert.match(message, new RegExp(`; stopped with ${written} of 40 questions answered now, in .*answers\\.jsonl$`));
});

test('connections dropped after the response started are not connection failures: the run completes', async () => {
  server.resetCounters();
  // Every question's first attempt is cut off mid-body; the server was reached each time.
  server.options = { fault: ({ attempt }) => (attempt === 0 ? 'reset' : 'none') };
  const table = makeTable(8);
  const outFile = join(tmp(), 'answers.jsonl');
  const summary = await collectResponses(table, { outFile, clientOptions: testClientOptions(server), maxConnectionFailures: 1, concurrency: 4 });
  assert.equal(summary.answered, 8);
  assertCompleteAnswerFile(outFile, table);
});

test('ConnectionWatch counts failures in a row over requests, resets on a response, and stays tripped', () => {
  const watch = new ConnectionWatch(3);
  watch.recordFailure('http://x/v1/chat/completions', 'refused');
  watch.recordFailure('http://x/v1/chat/completions', 'refused');
  watch.recordResponse();
  assert.equal(watch.failures, 0);
  for (let i = 0; i < 3; i++) watch.recordFailure('http://x/v1/chat/completions', `refused ${i}`);
  assert.equal(watch.tripped, true);
  watch.recordResponse();
  assert.equal(watch.tripped, true, 'a late response does not revive a stopped run');
  assert.equal(watch.error().message, 'cannot reach http://x/v1/chat/completions: 3 connection failures in a row, the last: refused 2');
  assert.throws(() => new ConnectionWatch(1.5), InputError);
});
