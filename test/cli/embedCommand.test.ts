import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSplitDirectory } from '../../src/data/splitDirectory';
import { encodePng, scene } from '../embed/fixtures';
import { parquetSplitBuffer } from '../support/parquetSplit';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');
const run = (args: string[], env: NodeJS.ProcessEnv = process.env) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

test('embed: a parquet split with images and a LLaVA answer file → the four matrices, then reuse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-embed-cli-'));
  const split = join(dir, 'llava_bench_coco_frost_5.parquet');
  writeFileSync(split, parquetSplitBuffer(4, { images: [0, 1, 2, 3].map((seed) => encodePng(scene(48, 32, seed))) }));
  const answers = join(dir, 'answers.jsonl');
  writeFileSync(answers, [100, 101, 102, 103].map((id) => JSON.stringify({ question_id: id, prompt: 'p', text: `model answer ${id}`, answer_id: `a${id}`, model_id: 'm', metadata: {} })).join('\n') + '\n');
  const out = join(dir, 'frost_5');
  const first = run(['embed', '--split', split, '--responses', answers, '--out', out, '--dimension', '768', '--json']);
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.equal(summary.rows, 4);
  assert.equal(summary.dimension, 768);
  assert.equal(summary.images, true);
  assert.deepEqual(summary.embedded.sort(), ['image', 'reference', 'response', 'text']);
  for (const file of ['v.npy', 't.npy', 'yhat.npy', 'y.npy', 'manifest.json']) assert.ok(existsSync(join(out, file)), file);
  const set = readSplitDirectory(out);
  assert.equal(set.image?.rows, 4);
  const again = JSON.parse(run(['embed', '--split', split, '--responses', answers, '--out', out, '--json']).stdout);
  assert.deepEqual(again.embedded, []);
  assert.deepEqual(again.reused.sort(), ['image', 'reference', 'response', 'text']);
});

test('embed: bad options and an unreachable download exit 2 naming the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-embed-bad-'));
  const split = join(dir, 's.jsonl');
  writeFileSync(split, JSON.stringify({ question_id: 1, question: 'q', reference_answer: 'r', model_answer: 'm' }) + '\n{"question_id": 2,\n');
  const malformed = run(['embed', '--split', split, '--out', join(dir, 'o')]);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /s\.jsonl: line 2/);
  const embedder = run(['embed', '--split', split, '--out', join(dir, 'o'), '--embedder', 'clip']);
  assert.equal(embedder.code, 2);
  assert.match(embedder.stderr, /--embedder: expected builtin, transformers, openai, got 'clip'/);
  const cache = join(dir, 'cache');
  const offline = run(['embed', '--split', 'hf:owner/dataset/some_split', '--out', join(dir, 'o')], { ...process.env, EMISHIFT_CACHE: cache, HF_ENDPOINT: 'http://127.0.0.1:9' });
  assert.equal(offline.code, 2, offline.stderr);
  assert.match(offline.stderr, new RegExp(`${cache.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*not cached`));
  assert.equal(existsSync(join(dir, 'o', 't.npy')), false);
});
