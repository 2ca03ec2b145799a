import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSplitFolder } from '../../src/data/splitDirectory';
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
  const set = readSplitFolder(out);
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
  assert.match(embedder.stderr, /--embedder: expected builtin, transformers, openai, pretrained, got 'clip'/);
  const cache = join(dir, 'cache');
  const offline = run(['embed', '--split', 'hf:owner/dataset/some_split', '--out', join(dir, 'o')], { ...process.env, EMISHIFT_CACHE: cache, HF_ENDPOINT: 'http://127.0.0.1:9' });
  assert.equal(offline.code, 2, offline.stderr);
  assert.match(offline.stderr, new RegExp(`${cache.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*not cached`));
  assert.equal(existsSync(join(dir, 'o', 't.npy')), false);
});

test('embed --split-dir: every split file of a folder, each into ROOT/<name>/, answers matched by file name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-embed-dir-'));
  const splits = join(dir, 'splits');
  const answers = join(dir, 'answers');
  mkdirSync(splits);
  mkdirSync(answers);
  const rows = (name: string) => [1, 2, 3].map((id) => JSON.stringify({ question_id: id, question: `${name} question ${id}?`, reference_answer: `${name} reference ${id}` })).join('\n') + '\n';
  writeFileSync(join(splits, 'coco.jsonl'), rows('coco'));
  writeFileSync(join(splits, 'coco_blur_3.jsonl'), rows('blur'));
  writeFileSync(join(splits, 'notes.json'), '{"not": "a split"}');
  for (const name of ['coco', 'coco_blur_3']) {
    writeFileSync(join(answers, `${name}.jsonl`), [1, 2, 3].map((id) => JSON.stringify({ question_id: id, prompt: 'p', text: `${name} answer ${id}`, answer_id: 'a', model_id: 'm', metadata: {} })).join('\n') + '\n');
  }
  const out = join(dir, 'embedded');
  const first = run(['embed', '--split-dir', splits, '--responses', answers, '--out', out, '--json']);
  assert.equal(first.code, 0, first.stderr);
  const summaries = JSON.parse(first.stdout);
  assert.deepEqual(summaries.map((s: { split: string }) => s.split), ['coco', 'coco_blur_3'], 'sorted, the .json file left out');
  for (const summary of summaries) {
    assert.equal(summary.out, join(out, summary.split));
    assert.equal(readSplitFolder(summary.out).response.rows, 3);
  }
  // Not a terminal: one line when the stage starts, one when it ends.
  assert.deepEqual(first.stderr.trim().split('\n').map((line) => line.replace(/\d+\.\d s$/, 'T s')), ['embed: embedding (2 splits)…', 'embed: embedding: 2 splits in T s']);
  const again = run(['embed', '--split-dir', splits, '--responses', answers, '--out', out]);
  assert.equal(again.code, 0, again.stderr);
  const lines = again.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[1], /^coco_blur_3: 3 rows, 768-d .* \[embedded nothing; reused text, response, reference\]/);

  const partial = join(dir, 'partial');
  mkdirSync(partial);
  copyFileSync(join(answers, 'coco.jsonl'), join(partial, 'coco.jsonl'));
  const failures: [string[], RegExp][] = [
    [['--split-dir', splits, '--split', join(splits, 'coco.jsonl')], /give either --split or --split-dir, not both/],
    [['--split-dir', splits, '--name', 'x'], /--name: --name names one split; with --split-dir each split is named by its file/],
    [['--split-dir', splits, '--responses', partial], /partial: no answer file for split coco_blur_3 \(expected <split name>\.jsonl\)$/m],
    [['--split-dir', join(dir, 'embedded')], /embedded: no split files \(\.jsonl, \.ndjson, \.csv, \.parquet, \.pq\) in the folder/],
    [['--split-dir', join(splits, 'coco.jsonl')], /coco\.jsonl: expected a folder of split files/],
  ];
  const expectFailure = (args: string[], pattern: RegExp) => {
    const result = run(['embed', ...args, '--out', join(dir, 'never')]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, pattern);
    assert.equal(existsSync(join(dir, 'never')), false);
  };
  for (const [args, pattern] of failures) expectFailure(args, pattern);
  writeFileSync(join(splits, 'coco.csv'), 'question_id,question,reference_answer\n1,q,r\n');
  expectFailure(['--split-dir', splits], /splits: coco\.csv and coco\.jsonl both give the split name 'coco'; keep one/);
});
