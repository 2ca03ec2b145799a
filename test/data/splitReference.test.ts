import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors';
import { listSplitFiles, readSplitReference, splitFileSource, splitReferenceFormat } from '../../src/data/splitReference';
import { parquetSplitBuffer } from '../support/parquetSplit';

const row = (id: number, answer?: string) => JSON.stringify({ question_id: id, question: `q${id}`, reference_answer: `r${id}`, ...(answer ? { model_answer: answer } : {}) });

test('a split reference names a Hub split, a URL or a local file (relative to the base folder)', () => {
  assert.deepEqual(splitFileSource('hf:owner/name/test_blur'), { dataset: 'owner/name', split: 'test_blur' });
  assert.deepEqual(splitFileSource('https://example.org/a/b.parquet', '/base'), { url: 'https://example.org/a/b.parquet' });
  assert.deepEqual(splitFileSource('http://127.0.0.1:9/x.parquet'), { url: 'http://127.0.0.1:9/x.parquet' });
  assert.deepEqual(splitFileSource('splits/a.jsonl', '/base'), { file: '/base/splits/a.jsonl' });
  assert.deepEqual(splitFileSource('/abs/a.jsonl', '/base'), { file: '/abs/a.jsonl' });
  assert.deepEqual(splitFileSource('a.jsonl'), { file: 'a.jsonl' }, 'without a base, as given');
  // A Hub reference without an owner/name dataset id is refused rather than read as a file named 'hf:…'.
  assert.throws(() => splitFileSource('hf:squad/train'), (error: unknown) => error instanceof InputError && error.field === 'split' && /expected hf:<dataset>\/<split>.*got 'hf:squad\/train'/.test(error.message));
});

test('formats: combined is jsonl, an unknown one is an error on `format` listing the choices', () => {
  assert.equal(splitReferenceFormat('combined'), 'jsonl');
  assert.equal(splitReferenceFormat('llava'), 'llava');
  assert.equal(splitReferenceFormat(undefined), undefined);
  assert.throws(() => splitReferenceFormat('tsv'), (error: unknown) => error instanceof InputError && error.field === 'format' && error.message === "format: expected combined, jsonl, csv, parquet, llava, got 'tsv'");
});

test('readSplitReference resolves the split and its answer file against the base folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-reference-'));
  mkdirSync(join(dir, 'splits'));
  writeFileSync(join(dir, 'splits', 'clean.jsonl'), [row(1), row(2)].join('\n'));
  writeFileSync(join(dir, 'splits', 'answers.jsonl'), [1, 2].map((id) => JSON.stringify({ question_id: id, text: `a${id}` })).join('\n'));
  const table = await readSplitReference({ split: 'splits/clean.jsonl', responses: 'splits/answers.jsonl', format: 'combined' }, { baseDirectory: dir });
  assert.equal(table.name, 'clean');
  assert.equal(table.source, join(dir, 'splits', 'clean.jsonl'));
  assert.deepEqual(table.rows.map((r) => r.model_answer), ['a1', 'a2']);
  const named = await readSplitReference({ split: join(dir, 'splits', 'clean.jsonl'), name: 'other' });
  assert.equal(named.name, 'other');
  await assert.rejects(readSplitReference({ split: 'splits/gone.jsonl' }, { baseDirectory: dir }), new RegExp(`${join(dir, 'splits', 'gone.jsonl')}: file not found`));
});

test('a URL reference is downloaded into the cache once and read from there', async () => {
  const body = parquetSplitBuffer(3, { image: 'none', answers: true });
  let requests = 0;
  const server = createServer((request, response) => {
    requests++;
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/data/test_shift-00000-of-00001.parquet`;
    const cacheDir = mkdtempSync(join(tmpdir(), 'emishift-reference-cache-'));
    const first = await readSplitReference({ split: url }, { download: { cacheDir } });
    assert.equal(first.rows.length, 3);
    // Named from the cached file, which keeps the URL's file name behind a digest of the URL.
    assert.match(first.name, /^[0-9a-f]{16}-test_shift$/);
    assert.ok(first.source.startsWith(cacheDir), first.source);
    const again = await readSplitReference({ split: url, name: 'again' }, { download: { cacheDir } });
    assert.deepEqual(again.rows, first.rows);
    assert.equal(requests, 1, 'the second load reads the cached file');
  } finally {
    server.close();
  }
});

test('listSplitFiles: the split files of a folder by name, each with its answer file; problems found before any is read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-split-files-'));
  const splits = join(dir, 'splits');
  const answers = join(dir, 'answers');
  mkdirSync(splits);
  mkdirSync(answers);
  writeFileSync(join(splits, 'b.jsonl'), row(1));
  writeFileSync(join(splits, 'a.csv'), 'question_id,question,reference_answer\n1,q,r\n');
  writeFileSync(join(splits, 'config.json'), '{}');
  writeFileSync(join(answers, 'a.jsonl'), '');
  writeFileSync(join(answers, 'b.json'), '');
  assert.deepEqual(listSplitFiles(splits), [
    { name: 'a', file: join(splits, 'a.csv') },
    { name: 'b', file: join(splits, 'b.jsonl') },
  ]);
  assert.deepEqual(
    listSplitFiles(splits, answers).map((entry) => entry.responses),
    [join(answers, 'a.jsonl'), join(answers, 'b.json')],
  );
  writeFileSync(join(splits, 'c.parquet'), '');
  assert.throws(() => listSplitFiles(splits, answers), new RegExp(`${answers}: no answer file for split c \\(expected <split name>\\.jsonl\\)`));
  writeFileSync(join(splits, 'c.pq'), '');
  assert.throws(() => listSplitFiles(splits), /c\.parquet and c\.pq both give the split name 'c'; keep one/);
  assert.throws(() => listSplitFiles(join(splits, 'b.jsonl')), /b\.jsonl: expected a folder of split files$/);
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'notes.json'), '{}');
  assert.throws(() => listSplitFiles(empty), /no split files \(\.jsonl, \.ndjson, \.csv, \.parquet, \.pq\) in the folder/);
});
