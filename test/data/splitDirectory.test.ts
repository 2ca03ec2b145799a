import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpyMatrix } from '../../src/io/npy';
import { listSplitFolders, readSplitFolder, readSplitFolderAsync } from '../../src/data/splitDirectory';
import { syntheticSet } from '../support/synthetic';

function writeSplit(dir: string, options: { rows?: number; image?: boolean } = {}): string {
  mkdirSync(dir, { recursive: true });
  const set = syntheticSet(options.rows ?? 6, 8, 1, { image: options.image });
  if (set.image) writeNpyMatrix(join(dir, 'v.npy'), set.image);
  writeNpyMatrix(join(dir, 't.npy'), set.text);
  writeNpyMatrix(join(dir, 'yhat.npy'), set.response);
  writeNpyMatrix(join(dir, 'y.npy'), set.reference);
  return dir;
}

test('reads a split folder with and without images', () => {
  const root = mkdtempSync(join(tmpdir(), 'emishift-split-'));
  const withImages = readSplitFolder(writeSplit(join(root, 'a')));
  assert.equal(withImages.name, 'a');
  assert.equal(withImages.image?.rows, 6);
  const textOnly = readSplitFolder(writeSplit(join(root, 'b'), { image: false }));
  assert.equal(textOnly.image, undefined);
  assert.deepEqual(listSplitFolders(root).map((split) => split.name), ['a', 'b']);
});

test('names the file and the problem for missing files, ragged rows, n = 1, dimension mismatch and NaN', () => {
  const root = mkdtempSync(join(tmpdir(), 'emishift-split-bad-'));
  const missing = writeSplit(join(root, 'missing'));
  require('node:fs').rmSync(join(missing, 'y.npy'));
  assert.throws(() => readSplitFolder(missing), /missing\/y\.npy: file not found/);

  const ragged = writeSplit(join(root, 'ragged'));
  writeNpyMatrix(join(ragged, 'yhat.npy'), { rows: 5, cols: 8, data: new Float32Array(40) });
  assert.throws(() => readSplitFolder(ragged), /yhat\.npy: has 5 rows but .*t\.npy has 6/);

  const single = writeSplit(join(root, 'single'), { rows: 1 });
  assert.throws(() => readSplitFolder(single), /only 1 row/);

  const dims = writeSplit(join(root, 'dims'));
  writeNpyMatrix(join(dims, 'v.npy'), { rows: 6, cols: 4, data: new Float32Array(24) });
  assert.throws(() => readSplitFolder(dims), /v\.npy: dimension 4 differs/);

  const nan = writeSplit(join(root, 'nan'));
  const data = new Float32Array(48).fill(0.1);
  data[3 * 8 + 5] = Number.NaN;
  writeNpyMatrix(join(nan, 't.npy'), { rows: 6, cols: 8, data });
  assert.throws(() => readSplitFolder(nan), /t\.npy: non-finite value NaN at row 3, column 5/);

  const empty = writeSplit(join(root, 'empty'));
  for (const file of ['t.npy', 'yhat.npy', 'y.npy', 'v.npy']) writeNpyMatrix(join(empty, file), { rows: 0, cols: 8, data: new Float32Array(0) });
  assert.throws(() => readSplitFolder(empty), /empty set/);

  assert.throws(() => readSplitFolder(join(root, 'nope')), /nope: file not found/);
});

test('readSplitFolderAsync reads what readSplitFolder reads, in shared memory, and fails with the same messages', async () => {
  const root = mkdtempSync(join(tmpdir(), 'emishift-split-async-'));
  for (const image of [true, false]) {
    const dir = writeSplit(join(root, image ? 'with' : 'without'), { image });
    const [sync, background] = [readSplitFolder(dir), await readSplitFolderAsync(dir)];
    assert.deepEqual(background, sync);
    for (const key of ['text', 'response', 'reference'] as const) assert.ok(background[key].data.buffer instanceof SharedArrayBuffer, key);
  }
  const fs = require('node:fs') as typeof import('node:fs');
  const missing = writeSplit(join(root, 'missing'));
  fs.rmSync(join(missing, 'y.npy'));
  const ragged = writeSplit(join(root, 'ragged'));
  writeNpyMatrix(join(ragged, 'yhat.npy'), { rows: 5, cols: 8, data: new Float32Array(40) });
  const nan = writeSplit(join(root, 'nan'));
  const data = new Float32Array(48).fill(0.1);
  data[3 * 8 + 5] = Number.NaN;
  writeNpyMatrix(join(nan, 't.npy'), { rows: 6, cols: 8, data });
  const truncated = writeSplit(join(root, 'truncated'));
  fs.truncateSync(join(truncated, 'y.npy'), 100);
  const unreadable = writeSplit(join(root, 'unreadable'));
  fs.rmSync(join(unreadable, 'yhat.npy'));
  fs.mkdirSync(join(unreadable, 'yhat.npy'));
  // Two bad files: the first in reading order is named, whichever read finishes first.
  const twoBad = writeSplit(join(root, 'two-bad'));
  fs.writeFileSync(join(twoBad, 't.npy'), Buffer.alloc(2 << 20, 1));
  fs.truncateSync(join(twoBad, 'y.npy'), 10);
  for (const dir of [missing, ragged, nan, truncated, unreadable, twoBad, join(root, 'nope'), join(missing, 't.npy')]) {
    let expected: Error | undefined;
    try {
      readSplitFolder(dir);
    } catch (error) {
      expected = error as Error;
    }
    assert.ok(expected, `${dir} should not read`);
    await assert.rejects(readSplitFolderAsync(dir), (error: Error) => error.message === expected!.message && error.name === expected!.name);
  }
});
