import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  JUDGE_SYSTEM_PROMPT,
  RULE_TEXT_ONLY,
  RULE_WITH_CAPTION,
  RULE_WITH_IMAGE,
  buildReviewMessages,
  judgeSplit,
  parseScorePair,
  readJudgeScores,
  relativePreference,
  type JudgeScoreRecord,
} from '../../src/serve/judge';
import { RunFailuresError, RunStoppedError } from '../../src/serve/collectResponses';
import { ChatClient } from '../../src/serve/openaiClient';
import { InputError } from '../../src/errors';
import { createRng } from '../../src/random';
import type { SplitTable } from '../../src/data/splitRow';
import { closedPortBaseUrl, fakePng, testClientOptions, useFakeServerAndTempDirs } from './fakeOpenAiServer';

const { server, tmp } = useFakeServerAndTempDirs('emishift-judge-');

function makeTable(n: number, images = true): SplitTable {
  return {
    name: 'llava_bench_coco_frost_3',
    source: 'split.parquet',
    rows: Array.from({ length: n }, (_, i) => ({
      question_id: `q${i}`,
      question: `Question ${i}?`,
      reference_answer: `Reference answer ${i}.`,
      model_answer: `Model answer ${i}.`,
      image: images ? fakePng(i) : undefined,
    })),
  };
}

/** The question number inside a review text, for per-question judge replies. */
const questionNumber = (text: string): number => Number(/\[Question\]\nQuestion (\d+)\?/.exec(text)?.[1]);

function strictLines(path: string): JudgeScoreRecord[] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text.endsWith('\n'));
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as JudgeScoreRecord);
}

test('score parsing: the protocol line and common drift; ambiguous replies are refused', () => {
  const cases: [string, [number, number] | undefined][] = [
    ['8 6\nAssistant 1 was more detailed.', [8, 6]],
    ['8, 6\nexplanation', [8, 6]],
    ['(8, 6)', [8, 6]],
    ['8.5 7\n...', [8.5, 7]],
    ['10 10', [10, 10]],
    ['  **9 4**  \n', [9, 4]],
    ['8/10 6/10', [8, 6]],
    ['Scores: 7 out of 10 and 5 out of 10', [7, 5]],
    ['Assistant 1: 8\nAssistant 2: 6\nBecause...', [8, 6]],
    ['Assistant 1: 8, Assistant 2: 6', [8, 6]],
    ['**Assistant 1**: 9/10\n**Assistant 2**: 3/10', [9, 3]],
    ["Evaluation:\nAssistant 1's score: 7\nAssistant 2 score: 4", [7, 4]],
    ['Scores\n6 9\nThe second one...', [6, 9]],
    ['Here is my evaluation:\n7 3', [7, 3]],
    ['Both assistants scored 8 and 6', undefined],
    ['Assistant 2: 5\nAssistant 1: 9', [9, 5]],
    ['On a scale of 1-10: 8 6', [8, 6]],
    ['I cannot judge this.', undefined],
    ['8\nAssistant 1 gave 3 reasons.', undefined],
    ['8 6 7', undefined],
    ['11 6', undefined],
    ['0 5', undefined],
    ['', undefined],
    ['Assistant 1 gives 3 examples while Assistant 2 gives 2.', undefined],
  ];
  for (const [reply, expected] of cases) assert.deepEqual(parseScorePair(reply), expected, JSON.stringify(reply));
});

test('relative preference by hand: mean model score over mean reference score, per-question arrays kept', () => {
  const rp = relativePreference([
    { question_id: 1, reference_score: 8, model_score: 6 },
    { question_id: 2, reference_score: 10, model_score: 5 },
    { question_id: 3, reference_score: 6, model_score: 6 },
    { question_id: 4, reference_score: null, model_score: null },
  ]);
  // (6 + 5 + 6) / 3 = 17/3 over (8 + 10 + 6) / 3 = 8  →  17/24
  assert.equal(rp.count, 3);
  assert.ok(Math.abs(rp.rp - 17 / 24) < 1e-12);
  assert.ok(Math.abs(rp.meanModelScore - 17 / 3) < 1e-12);
  assert.equal(rp.meanReferenceScore, 8);
  assert.deepEqual(rp.questionIds, [1, 2, 3]);
  assert.deepEqual(rp.modelScores, [6, 5, 6]);
  assert.deepEqual(rp.referenceScores, [8, 10, 6]);
  assert.deepEqual(rp.ratios, [0.75, 0.5, 1]);
  assert.throws(() => relativePreference([]), InputError);
});

test('review request: system prompt, reference as Assistant 1, model as Assistant 2, rule by visual context', () => {
  const row = makeTable(1).rows[0];
  const withImage = buildReviewMessages(row);
  assert.deepEqual(withImage[0], { role: 'system', content: JUDGE_SYSTEM_PROMPT });
  const parts = withImage[1].content;
  assert.ok(Array.isArray(parts) && parts[0].type === 'image_url' && parts[1].type === 'text');
  assert.equal(
    parts[1].text,
    `[Question]\nQuestion 0?\n\n[Assistant 1]\nReference answer 0.\n\n[End of Assistant 1]\n\n[Assistant 2]\nModel answer 0.\n\n[End of Assistant 2]\n\n[System]\n${RULE_WITH_IMAGE}\n\n`,
  );
  const captioned = buildReviewMessages(row, { withImage: false, caption: () => 'A cat on a mat.' });
  assert.equal(typeof captioned[1].content, 'string');
  assert.ok((captioned[1].content as string).startsWith('[Context]\nA cat on a mat.\n\n[Question]\nQuestion 0?\n\n'));
  assert.ok((captioned[1].content as string).endsWith(`[System]\n${RULE_WITH_CAPTION}\n\n`));
  const textOnly = buildReviewMessages({ ...row, image: undefined });
  assert.ok((textOnly[1].content as string).endsWith(`[System]\n${RULE_TEXT_ONLY}\n\n`));
  assert.match(RULE_WITH_CAPTION, /first output a single line containing only two values/);
  assert.throws(() => buildReviewMessages({ ...row, model_answer: undefined }), /no model_answer/);
});

test('happy path: scores appended per question, RP of the split returned, the judge sees the image', async () => {
  server.resetCounters();
  const replies = ['8 6\nfine', 'Assistant 1: 9\nAssistant 2: 3\nwhy', '7, 7\nequal', '10 5\n...'];
  server.options = { judgeReply: ({ text }) => replies[questionNumber(text)] };
  const table = makeTable(4);
  const outFile = join(tmp(), 'scores.jsonl');
  const summary = await judgeSplit(table, { outFile, clientOptions: testClientOptions(server, { model: 'judge-model' }), concurrency: 2 });
  assert.deepEqual([summary.judged, summary.skipped, summary.failed], [4, 0, 0]);
  // model (6 + 3 + 7 + 5) / 4 over reference (8 + 9 + 7 + 10) / 4  =  21 / 34
  assert.ok(Math.abs((summary.relativePreference?.rp ?? NaN) - 21 / 34) < 1e-12);
  const records = strictLines(outFile);
  assert.equal(records.length, 4);
  const byId = new Map(records.map((r) => [r.question_id, r]));
  assert.deepEqual([byId.get('q1')?.reference_score, byId.get('q1')?.model_score], [9, 3]);
  assert.equal(byId.get('q1')?.raw_reply, replies[1]);
  assert.equal(byId.get('q0')?.judge_model, 'judge-model');
  assert.ok(server.requests.every((r) => r.isJudge && r.hasImage && r.body.temperature === 0.2 && r.body.max_tokens === 1024));
  server.resetCounters();
  const again = await judgeSplit(table, { outFile, clientOptions: testClientOptions(server, { model: 'judge-model' }) });
  assert.deepEqual([again.judged, again.skipped, server.requests.length], [0, 4, 0]);
  assert.ok(Math.abs((again.relativePreference?.rp ?? NaN) - 21 / 34) < 1e-12);
});

test('a text-only judge gets the caption and no image', async () => {
  server.resetCounters();
  server.options = {};
  const outFile = join(tmp(), 'scores.jsonl');
  await judgeSplit(makeTable(3), { outFile, clientOptions: testClientOptions(server), withImage: false, caption: (row) => `Caption of ${String(row.question_id)}.` });
  assert.equal(server.requests.length, 3);
  for (const request of server.requests) {
    assert.equal(request.hasImage, false);
    assert.match(request.text, /^\[Context\]\nCaption of q\d\.\n\n\[Question\]/);
  }
  assert.ok(readJudgeScores(outFile).every((r) => r.metadata.with_image === false));
});

test('HTTP faults are retried; unparseable replies are re-asked, then recorded as failures and retried on rerun', async () => {
  server.resetCounters();
  server.options = {
    fault: ({ attempt, text }) => (attempt === 0 && questionNumber(text) === 0 ? 'reset' : attempt === 0 && questionNumber(text) === 1 ? '429' : 'none'),
    // q2: two bad replies then a good one; q3: never parseable.
    judgeReply: ({ text, attempt }) => {
      const n = questionNumber(text);
      if (n === 2) return attempt < 2 ? 'Both answers are fine.' : '9 2\nok';
      if (n === 3) return 'I refuse to give numbers.';
      return '8 6';
    },
  };
  const table = makeTable(5);
  const outFile = join(tmp(), 'scores.jsonl');
  const options = { outFile, clientOptions: testClientOptions(server), parseRetries: 2 };
  await assert.rejects(judgeSplit(table, options), (error: unknown) => {
    assert.ok(error instanceof RunFailuresError);
    assert.deepEqual([error.summary.failed, error.summary.failures[0].question_id], [1, 'q3']);
    assert.match(error.message, /^1 of 5 reviews failed .*no score pair/);
    return true;
  });
  const q3Requests = server.requests.filter((r) => questionNumber(r.text) === 3);
  assert.equal(q3Requests.length, 3, 'one request plus two parse retries');
  const lines = strictLines(outFile);
  assert.equal(lines.length, 5);
  const failure = lines.find((r) => r.question_id === 'q3') as JudgeScoreRecord;
  assert.deepEqual([failure.reference_score, failure.model_score, failure.raw_reply], [null, null, 'I refuse to give numbers.']);
  assert.equal(lines.find((r) => r.question_id === 'q2')?.metadata.parse_attempts, 3);

  server.resetCounters();
  server.options = {};
  const summary = await judgeSplit(table, options);
  assert.deepEqual([summary.judged, summary.skipped, server.requests.length], [1, 4, 1]);
  const scores = readJudgeScores(outFile);
  assert.equal(scores.length, 5);
  assert.ok(scores.every((r) => r.reference_score !== null));
});

test('judge input errors: a damaged middle line, a different judge, or different answers are refused', async () => {
  server.resetCounters();
  server.options = {};
  const dir = tmp();
  const table = makeTable(2);
  const outFile = join(dir, 'scores.jsonl');
  await judgeSplit(table, { outFile, clientOptions: testClientOptions(server) });
  await assert.rejects(judgeSplit(table, { outFile, clientOptions: testClientOptions(server, { model: 'other-judge' }) }), /line 1: holds a score from judge 'fake-model'/);
  const changed = { ...table, rows: table.rows.map((row) => ({ ...row, model_answer: `${row.model_answer} (new run)` })) };
  await assert.rejects(judgeSplit(changed, { outFile, clientOptions: testClientOptions(server) }), (error: unknown) => error instanceof InputError && /for a different question or answers/.test(error.message));
  const damaged = join(dir, 'damaged.jsonl');
  writeFileSync(damaged, `${readFileSync(outFile, 'utf8').split('\n')[0]}\n{"question_id":"q1","reference_score":8,\n${readFileSync(outFile, 'utf8').split('\n')[1]}\n`);
  await assert.rejects(judgeSplit(table, { outFile: damaged, clientOptions: testClientOptions(server) }), (error: unknown) => error instanceof InputError && error.message.startsWith(`${damaged}: line 2: `));
  const missing = { ...table, rows: [{ ...table.rows[0], model_answer: undefined }] };
  await assert.rejects(judgeSplit(missing, { outFile: join(dir, 'x.jsonl'), clientOptions: testClientOptions(server) }), /question_id q0: has no model_answer/);
});

test('judging interrupted at random points and resumed until done: one scored line per question', async () => {
  const rng = createRng(77);
  server.resetCounters();
  server.options = { delayMs: () => 3 + rng.int(10), fault: () => (rng.next() < 0.08 ? 'malformed' : 'none') };
  const table = makeTable(24);
  const outFile = join(tmp(), 'scores.jsonl');
  // The questions scored when each round began, indexed by round.
  const scoredBefore: Set<string | number>[] = [];
  // A request is attributed to the round that sent it by a header that round's client adds, not
  // by when the server saw it: on a loaded machine a request written just before a round's abort
  // can reach the server's handler hundreds of milliseconds later, during a later round, when a
  // round in between may have scored its question. Checking every request seen so far after each
  // round also checks such late arrivals against the round that sent them.
  const checkNoScoredQuestionAsked = (): void => {
    for (const request of server.requests) {
      const round = Number(request.headers['x-test-round']);
      const question = `q${questionNumber(request.text)}`;
      assert.ok(Number.isInteger(round) && round >= 0 && round < scoredBefore.length, `request ${request.index} names no round that ran`);
      assert.ok(!scoredBefore[round].has(question), `round ${round} asked ${question}, which was scored before the round began`);
    }
  };
  let finished = false;
  let interrupted = 0;
  for (let round = 0; round < 40 && !finished; round++) {
    scoredBefore.push(new Set(readJudgeScores(outFile).map((r) => r.question_id)));
    // A client per round only to tag its requests; connections are pooled by fetch, not by the client.
    const client = new ChatClient(testClientOptions(server, { maxRetries: 8, headers: { 'x-test-round': String(round) } }));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10 + round * 5 + rng.int(30));
    try {
      await judgeSplit(table, { outFile, client, concurrency: 3, signal: controller.signal });
      finished = true;
    } catch (error) {
      assert.equal((error as Error).name, 'AbortError', String(error));
      interrupted++;
    } finally {
      clearTimeout(timer);
    }
    checkNoScoredQuestionAsked();
    if (!finished && rng.next() < 0.5) {
      // No score yet means no file yet (it is created by the first record).
      const size = existsSync(outFile) ? statSync(outFile).size : 0;
      if (size > 5 && rng.next() < 0.5) truncateSync(outFile, size - 3);
      else appendFileSync(outFile, '{"question_id":"q5","reference_sc');
    }
  }
  assert.ok(finished && interrupted >= 2, `finished ${finished}, interrupted ${interrupted}`);
  const lines = strictLines(outFile);
  assert.deepEqual(lines.map((r) => r.question_id).sort(), table.rows.map((r) => r.question_id).sort());
  assert.ok(lines.every((r) => r.reference_score === 8 && r.model_score === 6));
});

test('judging against a dead endpoint stops after the connection limit and writes no score file', async () => {
  const outFile = join(tmp(), 'scores.jsonl');
  const baseUrl = await closedPortBaseUrl();
  await assert.rejects(judgeSplit(makeTable(12), { outFile, clientOptions: testClientOptions(server, { baseUrl, initialBackoffMs: 5 }), maxConnectionFailures: 3, concurrency: 2 }), (error: unknown) => {
    assert.ok(error instanceof RunStoppedError, String(error));
    assert.match(error.message, /^cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: 3 connection failures in a row, the last: .*ECONNREFUSED.*; stopped with 0 of 12 reviews judged now, nothing written to .*scores\.jsonl$/);
    return true;
  });
  assert.equal(existsSync(outFile), false);
});
