import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageFormat, readSplitDataFrame, toDataFrame } from '../../src/data/dataFrame';
import type { SplitTable } from '../../src/data/splitRow';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0]);

test('importing the module (and the loaders) does not load danfojs-node', () => {
  const module = join(__dirname, '..', '..', 'src', 'data', 'dataFrame.js');
  const script = `require(${JSON.stringify(module)}); process.stdout.write(String(Object.keys(require.cache).some((p) => p.includes('danfojs'))))`;
  assert.equal(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }), 'false');
});

test('toDataFrame: shape and columns for a text-only table; absent answers are null', () => {
  const table: SplitTable = {
    name: 't',
    source: 't.jsonl',
    rows: [
      { question_id: 0, question: 'q0', reference_answer: 'r0', model_answer: 'a0' },
      { question_id: 1, question: 'q1', reference_answer: 'r1' },
      { question_id: 2, question: 'q2', reference_answer: 'r2', model_answer: 'a2' },
    ],
  };
  const frame = toDataFrame(table);
  assert.deepEqual(frame.shape, [3, 4]);
  assert.deepEqual(frame.columns, ['question_id', 'question', 'reference_answer', 'model_answer']);
  assert.deepEqual(frame['question_id'].values, [0, 1, 2]);
  assert.equal(frame['model_answer'].values[1], null);
});

test('toDataFrame: images become byte length and format; mixed ids become strings; empty tables keep the columns', () => {
  const frame = toDataFrame([
    { question_id: 7, question: 'q', reference_answer: 'r', image: PNG },
    { question_id: 'x', question: 'q', reference_answer: 'r', image: JPEG },
  ]);
  assert.deepEqual(frame.shape, [2, 6]);
  assert.deepEqual(frame.columns, ['question_id', 'question', 'reference_answer', 'model_answer', 'image', 'image_format']);
  assert.deepEqual(frame['image'].values, [10, 4]);
  assert.deepEqual(frame['image_format'].values, ['png', 'jpeg']);
  assert.deepEqual(frame['question_id'].values, ['7', 'x']);
  const empty = toDataFrame([]);
  assert.deepEqual(empty.columns, ['question_id', 'question', 'reference_answer', 'model_answer']);
  assert.equal(empty.shape[0], 0);
  assert.equal(imageFormat(new Uint8Array([1, 2, 3])), 'unknown');
});

test('readSplitDataFrame reads a file into a frame', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-frame-'));
  const file = join(dir, 'split.csv');
  writeFileSync(file, 'question_id,question,reference_answer,model_answer\n0,"a, b",r,m\n1,c,r,m\n');
  const frame = await readSplitDataFrame(file);
  assert.deepEqual(frame.shape, [2, 4]);
  assert.deepEqual(frame['question'].values, ['a, b', 'c']);
});
