import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectedAnswer, startFakeServer } from '../serve/fakeOpenAiServer';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');

/** Runs the CLI without blocking this process's event loop (the fake server lives here). */
function emishift(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('EMISHIFT_CHAT') || key === 'OPENAI_API_KEY') delete env[key];
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

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
    assert.match(noModel.stderr, /no model name: pass `model` or set EMISHIFT_CHAT_MODEL/);
  } finally {
    await server.close();
  }
});
