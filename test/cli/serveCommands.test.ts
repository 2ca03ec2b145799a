import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPortBaseUrl, expectedAnswer, startFakeServer } from '../serve/fakeOpenAiServer';
import { emishiftProcess } from '../support/cliProcess';


const emishift = emishiftProcess;

test('collect then judge through the CLI against a local OpenAI-compatible server, resuming', async () => {
  const server = await startFakeServer();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'emishift-serve-cli-'));
    const split = join(dir, 'split.jsonl');
    const questions = ['What is shown?', 'How many cats?', 'Describe the scene.'];
    writeFileSync(split, questions.map((question, i) => JSON.stringify({ question_id: i + 1, question, reference_answer: `ref ${i}` })).join('\n') + '\n');
    const answers = join(dir, 'answers.jsonl');
    const serverArgs = ['--base-url', server.baseUrl, '--model', 'fake-model', '--retries', '1', '--timeout', '5'];

    const first = await emishift('collect', '--split', split, '--out', answers, ...serverArgs, '--json');
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), { split: 'split', out: answers, total: 3, answered: 3, skipped: 0, failed: 0 });
    const lines = readFileSync(answers, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(lines.map((line) => line.text).sort(), questions.map(expectedAnswer).sort());
    assert.ok(lines.every((line) => line.model_id === 'fake-model' && typeof line.answer_id === 'string'));

    const requestsBefore = server.requests.length;
    const again = await emishift('collect', '--split', split, '--out', answers, ...serverArgs, '--json');
    assert.equal(JSON.parse(again.stdout).skipped, 3);
    assert.equal(server.requests.length, requestsBefore, 'a resumed run asks nothing already answered');

    const scores = join(dir, 'scores.jsonl');
    const judged = await emishift('judge', '--split', split, '--responses', answers, '--out', scores, ...serverArgs, '--text-only', '--json');
    assert.equal(judged.code, 0, judged.stderr);
    const summary = JSON.parse(judged.stdout);
    // The fake judge answers "8 6": reference 8, model 6 → RP = 6 / 8.
    assert.equal(summary.relative_preference, 0.75);
    assert.equal(summary.scored, 3);

    const noModel = await emishift('collect', '--split', split, '--out', join(dir, 'other.jsonl'), '--base-url', server.baseUrl);
    assert.equal(noModel.code, 2);
    assert.equal(noModel.stderr, 'emishift collect: --model: no model name: pass --model or set EMISHIFT_CHAT_MODEL\n');
  } finally {
    await server.close();
  }
});

test('collect against a dead endpoint stops after five connection failures, says why in one line and writes no file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-serve-dead-'));
  const split = join(dir, 'split.jsonl');
  writeFileSync(split, Array.from({ length: 90 }, (_, i) => JSON.stringify({ question_id: i, question: `q${i}`, reference_answer: `r${i}`, model_answer: `m${i}` })).join('\n') + '\n');
  const baseUrl = await closedPortBaseUrl();
  const answers = join(dir, 'answers.jsonl');
  const run = await emishift('collect', '--split', split, '--out', answers, '--base-url', baseUrl, '--model', 'm');
  assert.equal(run.code, 1, run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines[0], 'collect: asking the model (90 questions)…');
  assert.equal(lines.length, 2, run.stderr);
  assert.match(lines[1], new RegExp(`^emishift collect: cannot reach ${baseUrl.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/chat/completions: 5 connection failures in a row, the last: network error: .*ECONNREFUSED.*; stopped with 0 of 90 questions answered now, nothing written to ${answers.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));
  assert.equal(existsSync(answers), false);
  const judged = await emishift('judge', '--split', split, '--out', join(dir, 'scores.jsonl'), '--base-url', baseUrl, '--model', 'm', '--max-connection-failures', '1', '--text-only');
  assert.equal(judged.code, 1, judged.stderr);
  assert.match(judged.stderr, /emishift judge: cannot reach .*: 1 connection failures in a row/);
});
